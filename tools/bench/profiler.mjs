// `npm run bench -- --profile <dir>`: a V8 CPU profile of the Worker's isolate around each measured row,
// through workerd's inspector (Chrome DevTools protocol over the inspector port Miniflare opens), written as
// <dir>/<scenario>-c<connections>.cpuprofile next to the bundle's source map. The inspector makes the Worker
// 2–4× slower, so only shares within a profile mean anything (docs/benchmarks.md §6).

/** The inspector target of the Worker named `name` (Miniflare lists one per Worker: `core:user:<name>`). */
async function targetUrl(/** @type {number} */ port, /** @type {string} */ name) {
  const res = await fetch(`http://127.0.0.1:${port}/json`);
  /** @type {Array<{ id: string, title?: string, webSocketDebuggerUrl?: string }>} */
  const targets = await res.json();
  const target = targets.find((t) => t.id === `core:user:${name}` || t.title === name) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target for ${name} on port ${port}`);
  return target.webSocketDebuggerUrl;
}

/**
 * Starts profiling; the returned function stops and answers the profile.
 * @param {number} port
 * @param {string} name
 * @param {number} [intervalUs]
 */
export async function startProfile(port, name, intervalUs = 100) {
  const ws = new WebSocket(await targetUrl(port, name));
  await new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', reject, { once: true });
  });
  let nextId = 0;
  /** @type {Map<number, (value: any) => void>} */
  const pending = new Map();
  ws.addEventListener('message', (event) => {
    const message = JSON.parse(String(event.data));
    if (message.id !== undefined) pending.get(message.id)?.(message);
  });
  const send = (/** @type {string} */ method, /** @type {object} */ params = {}) =>
    new Promise((resolve, reject) => {
      nextId += 1;
      pending.set(nextId, (message) =>
        message.error ? reject(new Error(`${method}: ${message.error.message}`)) : resolve(message.result),
      );
      ws.send(JSON.stringify({ id: nextId, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: intervalUs });
  await send('Profiler.start');
  return async () => {
    const result = /** @type {{ profile: object }} */ (await send('Profiler.stop'));
    ws.close();
    return result.profile;
  };
}
