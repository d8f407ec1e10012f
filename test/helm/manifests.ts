/**
 * The rendered chart as objects: `helm template` output split into its documents, each parsed as
 * YAML 1.1 (as the Kubernetes API machinery reads it: `0444` is octal), with its `# Source:` file.
 */
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { renderRaw } from './renderer.js';
import type { RenderOptions, RenderResult } from './renderer.js';

/** A rendered Kubernetes object; the fields the tests read are typed loosely on purpose. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

export interface Rendered {
  readonly manifests: readonly (Manifest & { readonly source: string })[];
  readonly notes?: string;
  readonly stdout: string;
}

export function parseManifests(stdout: string): Rendered['manifests'] {
  const out: (Manifest & { source: string })[] = [];
  for (const doc of parseAllDocuments(stdout, { version: '1.1' })) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const value = doc.toJS() as Manifest | null;
    if (value === null) continue;
    // The `# Source:` line is the comment before the document's first node.
    const comment = `${doc.commentBefore ?? ''}\n${doc.contents?.commentBefore ?? ''}`;
    const source = /^ ?Source: (\S+)/m.exec(comment)?.[1] ?? '';
    out.push({ ...value, source });
  }
  return out;
}

/** Renders and asserts success; the failure message carries the renderer's stderr. */
export function render(options: RenderOptions = {}): Rendered {
  const result: RenderResult = renderRaw(options);
  assert.equal(result.status, 0, `render failed:\n${result.stderr}`);
  return {
    manifests: parseManifests(result.stdout),
    stdout: result.stdout,
    ...(result.notes !== undefined ? { notes: result.notes } : {}),
  };
}

/** The one manifest of a kind (and name suffix, when several share the kind). */
export function only(rendered: Rendered, kind: string, nameEndsWith = ''): Manifest {
  const found = rendered.manifests.filter((m) => m.kind === kind && m.metadata.name.endsWith(nameEndsWith));
  assert.equal(found.length, 1, `expected one ${kind} named *${nameEndsWith}, got ${found.length}`);
  return found[0] as Manifest;
}

/** Follows a path of keys and indexes; undefined where it leads nowhere. */
export function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
