/**
 * Checks rendered manifests against the Kubernetes schemas, twice:
 * - at run time, with each kind's model from `kubernetes-models` (types, formats, required
 *   fields, enums), and `@kubernetes-models/prometheus-operator` for the ServiceMonitor;
 * - statically, by compiling them as object literals of the models' TypeScript interfaces, whose
 *   excess-property checks catch what a JSON schema without `additionalProperties: false` lets
 *   through: a misspelt field (`readinesProbe`) at any depth.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/paths.js';
import type { Manifest } from './manifests.js';

/** The model module of each API group outside the core packages. */
const CRD_PACKAGES: Readonly<Record<string, string>> = {
  'monitoring.coreos.com': '@kubernetes-models/prometheus-operator',
};

/** Where a kind's model lives, such as kubernetes-models/apps/v1/Deployment. */
export function modelModule(apiVersion: string, kind: string): string {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  const pkg = CRD_PACKAGES[group] ?? 'kubernetes-models';
  return `${pkg}/${apiVersion}/${kind}`;
}

const require = createRequire(join(repoRoot, 'package.json'));

/** Whether a model module is installed (the ServiceMonitor's package is optional on a dev machine). */
export function hasModel(apiVersion: string, kind: string): boolean {
  try {
    require.resolve(modelModule(apiVersion, kind));
    return true;
  } catch {
    return false;
  }
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: object) => Model;

/** Validates one manifest with its model; resolves to the problem, or undefined when valid. */
export async function validateWithModel(manifest: Manifest): Promise<string | undefined> {
  const module = modelModule(manifest.apiVersion, manifest.kind);
  const loaded = (await import(module)) as Record<string, ModelClass | undefined>;
  const Cls = loaded[manifest.kind];
  if (Cls === undefined) return `${module} has no model ${manifest.kind}`;
  const object: Record<string, unknown> = { ...manifest };
  delete object.source; // added by the parser, not part of the object
  try {
    new Cls(object).validate();
    return undefined;
  } catch (err) {
    return `${manifest.kind} ${manifest.metadata.name}: ${(err as Error).message}`;
  }
}

/**
 * Compiles every manifest as `const mN: I<Kind> = <the manifest>` and returns the compiler's
 * complaints, each naming the manifest. One program for all: loading the models' types is the cost.
 */
export function typeCheck(manifests: readonly (Manifest & { readonly source?: string })[]): string[] {
  const file = join(repoRoot, 'test', 'helm', '__rendered_manifests__.ts');
  const imports = new Map<string, string>();
  const lines: string[] = [];
  manifests.forEach((m, i) => {
    const module = modelModule(m.apiVersion, m.kind);
    const alias = `I${m.kind}_${imports.size}`;
    if (!imports.has(module)) imports.set(module, alias);
    const { source, ...object } = m;
    lines.push(`// ${source ?? ''} ${m.kind} ${m.metadata.name}`);
    lines.push(`export const m${i}: ${imports.get(module)} = ${JSON.stringify(object, null, 1)};`);
  });
  const header = [...imports].map(([module, alias]) => {
    const kind = module.slice(module.lastIndexOf('/') + 1);
    return `import type { I${kind} as ${alias} } from '${module}';`;
  });
  const text = [...header, ...lines].join('\n') + '\n';

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, version, ...rest) =>
    name === file
      ? ts.createSourceFile(name, text, version)
      : getSourceFile.call(host, name, version, ...rest);
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  host.readFile = (name) => (name === file ? text : readFile.call(host, name));
  const program = ts.createProgram([file], options, host);
  const textLines = text.split('\n');
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (d.file === undefined || d.start === undefined) return message;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    // The manifest is named by the comment above its `const`.
    let owner = line;
    while (owner > 0 && !(textLines[owner] ?? '').startsWith('// ')) owner--;
    return `${(textLines[owner] ?? '').slice(3)}: line ${line + 1}: ${message}\n  ${(textLines[line] ?? '').trim()}`;
  });
}
