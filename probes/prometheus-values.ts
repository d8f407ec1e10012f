/** The values of the Prometheus text format: floats as Go reads them, timestamps, docstrings. */
import { lineError } from './prometheus-scanner.js';

/** Decimal float with optional exponent, anchored and unambiguous (linear even on long tokens). */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL: ReadonlyMap<string, number> = new Map([
  ['nan', NaN],
  ['inf', Infinity],
  ['+inf', Infinity],
  ['-inf', -Infinity],
  ['infinity', Infinity],
  ['+infinity', Infinity],
  ['-infinity', -Infinity],
]);

/** A float as Go's ParseFloat reads it (decimal, NaN, ±Inf, case-insensitive), NaN when malformed. */
export function parseFloatToken(text: string): number {
  if (DECIMAL.test(text)) return Number(text);
  return SPECIAL.get(text.toLowerCase()) ?? NaN;
}

export function parseValue(text: string, name: string): number {
  const value = parseFloatToken(text);
  if (Number.isNaN(value) && text.toLowerCase() !== 'nan')
    throw lineError`bad value "${clip(text)}" for ${name}`;
  if (!Number.isFinite(value) && DECIMAL.test(text))
    throw lineError`value ${clip(text)} of ${name} is out of the float64 range`;
  return value;
}

export function parseTimestamp(text: string, name: string): number {
  if (!/^[+-]?\d+$/.test(text)) throw lineError`bad timestamp "${clip(text)}" for ${name}`;
  const ms = Number(text);
  if (!Number.isSafeInteger(ms)) throw lineError`timestamp ${clip(text)} of ${name} is out of range`;
  return ms;
}

/** `\\` and `\n` are the escapes of a docstring; any other backslash is kept as written. */
export function unescapeHelp(text: string): string {
  if (!text.includes('\\')) return text;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const n = text[i + 1];
    if (c === '\\' && (n === '\\' || n === 'n')) {
      out += n === 'n' ? '\n' : '\\';
      i++;
    } else out += c;
  }
  return out;
}

export function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
