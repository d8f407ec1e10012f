/**
 * Typed views of the pod specs the chart renders, and the checks every pod must pass: each mount
 * names a volume of the pod, and the "restricted" Pod Security Standard.
 */
import type { Manifest } from './manifests.js';

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: { readonly fieldRef?: { readonly fieldPath: string } };
}
export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
}
export interface Probe {
  readonly httpGet?: { readonly path: string; readonly port: string | number };
  readonly tcpSocket?: { readonly port: string | number };
}
export interface SecurityContext {
  readonly runAsNonRoot?: boolean;
  readonly runAsUser?: number;
  readonly allowPrivilegeEscalation?: boolean;
  readonly readOnlyRootFilesystem?: boolean;
  readonly privileged?: boolean;
  readonly capabilities?: { readonly drop?: readonly string[]; readonly add?: readonly string[] };
  readonly seccompProfile?: { readonly type: string };
}
export interface Container {
  readonly name: string;
  readonly image: string;
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env?: readonly EnvVar[];
  readonly ports?: readonly { readonly name?: string; readonly containerPort: number }[];
  readonly livenessProbe?: Probe;
  readonly readinessProbe?: Probe;
  readonly resources?: { readonly requests?: object; readonly limits?: Readonly<Record<string, unknown>> };
  readonly securityContext?: SecurityContext;
  readonly volumeMounts?: readonly VolumeMount[];
}
export interface Volume {
  readonly name: string;
  readonly configMap?: { readonly name: string; readonly items?: readonly { key: string; path: string }[] };
  readonly secret?: {
    readonly secretName: string;
    readonly defaultMode?: number;
    readonly items?: readonly { key: string; path: string }[];
  };
  readonly emptyDir?: { readonly sizeLimit?: string };
  readonly persistentVolumeClaim?: { readonly claimName: string; readonly readOnly?: boolean };
  readonly hostPath?: { readonly path: string; readonly type?: string };
}
export interface PodSpec {
  readonly containers: readonly Container[];
  readonly initContainers?: readonly Container[];
  readonly volumes?: readonly Volume[];
  readonly securityContext?: SecurityContext & { readonly fsGroup?: number };
  readonly automountServiceAccountToken?: boolean;
  readonly terminationGracePeriodSeconds?: number;
}
export interface PodTemplate {
  readonly metadata: {
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations?: Record<string, string>;
  };
  readonly spec: PodSpec;
}

/** The pod template of a Deployment. */
export function podTemplate(deployment: Manifest): PodTemplate {
  return (deployment as unknown as { spec: { template: PodTemplate } }).spec.template;
}

export function container(spec: PodSpec, name: string): Container {
  const found = [...spec.containers, ...(spec.initContainers ?? [])].find((c) => c.name === name);
  if (found === undefined) throw new Error(`no container ${name} in the pod`);
  return found;
}

export function envOf(c: Container, name: string): string | undefined {
  return c.env?.find((e) => e.name === name)?.value;
}

export function volume(spec: PodSpec, name: string): Volume {
  const found = spec.volumes?.find((v) => v.name === name);
  if (found === undefined) throw new Error(`no volume ${name} in the pod`);
  return found;
}

/** The mount whose path holds `file` (the longest such mount path). */
export function mountHolding(c: Container, file: string): VolumeMount | undefined {
  return (c.volumeMounts ?? [])
    .filter((m) => file === m.mountPath || file.startsWith(m.mountPath.replace(/\/?$/, '/')))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
}

/** Mounts that name no volume of the pod, and volumes no container mounts. */
export function danglingVolumes(spec: PodSpec): string[] {
  const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
  const mounted = new Set<string>();
  const out: string[] = [];
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    for (const m of c.volumeMounts ?? []) {
      mounted.add(m.name);
      if (!volumes.has(m.name)) out.push(`${c.name} mounts ${m.name}, which is not a volume of the pod`);
    }
  }
  for (const v of volumes) if (!mounted.has(v)) out.push(`volume ${v} is mounted by no container`);
  return out;
}

const RESTRICTED_VOLUMES = [
  'configMap',
  'secret',
  'emptyDir',
  'persistentVolumeClaim',
  'projected',
  'downwardAPI',
  'csi',
  'ephemeral',
];

/**
 * What keeps a pod out of the "restricted" Pod Security Standard (Kubernetes 1.25+): the
 * container checks with the pod-level settings as fallbacks, and the volume types.
 */
export function restrictedViolations(spec: PodSpec): string[] {
  const out: string[] = [];
  const pod = spec.securityContext ?? {};
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== 'name') ?? '';
    if (!RESTRICTED_VOLUMES.includes(type)) out.push(`volume ${v.name} is a ${type}`);
  }
  for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const sc = c.securityContext ?? {};
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) out.push(`${c.name}: runAsNonRoot is not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) out.push(`${c.name}: runs as uid 0`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${c.name}: allowPrivilegeEscalation is not false`);
    if (sc.privileged === true) out.push(`${c.name}: privileged`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${c.name}: capabilities do not drop ALL`);
    const added = (sc.capabilities?.add ?? []).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) out.push(`${c.name}: adds capabilities ${added.join(', ')}`);
    const seccomp = (sc.seccompProfile ?? pod.seccompProfile)?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${c.name}: no seccomp profile`);
  }
  return out;
}
