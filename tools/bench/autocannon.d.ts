// autocannon ships no types: the part of its programmatic API tools/bench/load.mjs uses, as its README
// documents it (node_modules/autocannon/README.md: "autocannon(opts[, cb])", "Autocannon events", "Results").
declare module 'autocannon' {
  interface Request {
    setupRequest?: (request: Record<string, unknown>, context: unknown) => Record<string, unknown>;
    onResponse?: (status: number, body: string, context: unknown, headers: Record<string, string>) => void;
  }
  interface Options {
    url: string;
    connections?: number;
    amount?: number;
    timeout?: number;
    sampleInt?: number;
    requests?: Request[];
  }
  interface Result {
    /** Connection errors, timeouts included. */
    errors: number;
    timeouts: number;
  }
  interface Instance extends PromiseLike<Result> {
    on(
      event: 'response',
      listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void,
    ): this;
    stop(): void;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
