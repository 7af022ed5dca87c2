/** Vite's `?raw` imports (the file's text), e.g. docs/round-trips.md in round-trips.test.ts. */
declare module '*.md?raw' {
  const text: string;
  export default text;
}

/** The same for the static assets under public/, e.g. the data files in data-assets.test.ts. */
declare module '*.txt?raw' {
  const text: string;
  export default text;
}

declare module '*.json?raw' {
  const text: string;
  export default text;
}
