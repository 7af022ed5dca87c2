/** Vite's `?raw` imports (the file's text), e.g. docs/round-trips.md in round-trips.test.ts. */
declare module '*.md?raw' {
  const text: string;
  export default text;
}
