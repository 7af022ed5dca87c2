import { BareLayout, Layout, type PageContext } from './layout';

export interface ErrorProps {
  status: number;
  title: string;
  detail: string;
  requestId: string;
  /** With a session the page keeps the navigation; without, a bare page with a sign-in link. */
  ctx?: PageContext;
}

function ErrorBody({ status, title, detail, requestId, signedIn }: ErrorProps & { signedIn: boolean }) {
  return (
    <div class="error-page panel">
      <div class="code">{status}</div>
      <h1>{title}</h1>
      <p>{detail}</p>
      <p class="muted small">
        Request id <code>{requestId}</code>
      </p>
      <p>
        <a href="/admin/">{signedIn ? 'Back to the dashboard' : 'Go to sign-in'}</a>
      </p>
    </div>
  );
}

/** An HTML error page for /admin (the API answers problem+json instead). */
export function ErrorPage(props: ErrorProps) {
  if (props.ctx) {
    return (
      <Layout ctx={props.ctx} title={props.title}>
        <ErrorBody {...props} signedIn />
      </Layout>
    );
  }
  return (
    <BareLayout title={props.title}>
      <ErrorBody {...props} signedIn={false} />
    </BareLayout>
  );
}
