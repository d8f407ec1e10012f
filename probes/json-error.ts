/**
 * A JSON.parse error as a reason that quotes nothing of the input. V8's messages carry a snippet
 * (`Unexpected token 'x', "secret..." is not valid JSON`); this keeps only the kind and position.
 */
export function jsonErrorWithoutInput(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return `not valid JSON at position ${position}`;
  if (/Unexpected end of JSON input|Unterminated/i.test(message)) return 'the JSON ends too early';
  if (/Unexpected token|Unexpected non-whitespace/i.test(message))
    return 'not valid JSON (an unexpected character)';
  return 'not valid JSON';
}
