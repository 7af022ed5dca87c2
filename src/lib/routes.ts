const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const cache = new WeakMap<object, Array<{ method: string; pattern: RegExp }>>();

/** Turns a Hono route path (`/a/:id{[0-9]+}/b`, `*`) into an anchored regex ignoring a trailing slash. */
function toPattern(path: string): RegExp {
  let source = '';
  for (let i = 0; i < path.length; ) {
    const ch = path[i] as string;
    if (ch === ':') {
      const name = /^:[A-Za-z0-9_]+/.exec(path.slice(i))?.[0] ?? ':';
      i += name.length;
      if (path[i] === '{') {
        const end = path.indexOf('}', i);
        source += `(?:${path.slice(i + 1, end)})`;
        i = end + 1;
      } else source += '[^/]+';
    } else if (ch === '*') {
      source += '.*';
      i += 1;
    } else {
      source += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return new RegExp(`^${source.replace(/\/$/, '')}/?$`);
}

/** Methods that have a real handler for this path: used for 405 answers with an `Allow` header. */
export function allowedMethods(
  app: { routes: Array<{ method: string; path: string }> },
  path: string,
): string[] {
  let routes = cache.get(app);
  if (!routes) {
    routes = app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.endsWith('*'))
      .map((r) => ({ method: r.method.toUpperCase(), pattern: toPattern(r.path) }));
    cache.set(app, routes);
  }
  const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
  if (methods.has('GET')) methods.add('HEAD');
  return METHOD_ORDER.filter((m) => methods.has(m));
}
