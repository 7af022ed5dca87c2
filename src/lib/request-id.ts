/** A caller's X-Request-Id is reused only when it is a sane token; otherwise we make our own. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestIdFrom(header: string | null | undefined): string {
  return header && SANE_REQUEST_ID.test(header) ? header : crypto.randomUUID();
}
