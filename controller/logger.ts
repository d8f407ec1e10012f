/** The slice of pino the controller uses; `nullLogger` by default so tests stay quiet. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

const noop = (): void => undefined;
export const nullLogger: Logger = { info: noop, warn: noop, error: noop, debug: noop };
