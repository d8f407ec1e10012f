import type { FileMeta } from './file-meta.js';
import { hrefOf } from './paths.js';

/** A Depth header as PROPFIND reads it (RFC 4918 section 10.2): absent means infinity. */
export type Depth = '0' | '1' | 'infinity';

/** The depth asked for, or undefined for a value that is none of `0`, `1`, `infinity`. */
export function parseDepth(header: string | readonly string[] | undefined): Depth | undefined {
  if (header === undefined) return 'infinity';
  if (typeof header !== 'string') return undefined;
  const value = header.trim().toLowerCase();
  return value === '0' || value === '1' || value === 'infinity' ? value : undefined;
}

/** One resource of a listing: its relative path, its name and its metadata. */
export interface DavResource {
  readonly rel: string;
  readonly meta: FileMeta;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** What XML 1.0 cannot carry: C0 controls but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates. */
const NOT_XML = new RegExp(
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]' +
    '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]',
  'g',
);

/**
 * Escapes text for XML 1.0 content. What XML cannot carry even escaped (see NOT_XML), which a file
 * name may hold, becomes U+FFFD; the href keeps the exact name, percent-encoded.
 */
export function xmlText(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c).replace(NOT_XML, '\ufffd');
}

function responseXml(resource: DavResource): string {
  const { rel, meta } = resource;
  const name = rel.slice(rel.lastIndexOf('/') + 1);
  const props = [
    `<D:displayname>${xmlText(name)}</D:displayname>`,
    meta.isDirectory
      ? '<D:resourcetype><D:collection/></D:resourcetype>'
      : `<D:resourcetype/><D:getcontentlength>${meta.size}</D:getcontentlength><D:getcontenttype>${xmlText(meta.contentType)}</D:getcontenttype>`,
    `<D:getlastmodified>${meta.lastModified}</D:getlastmodified>`,
    `<D:getetag>${xmlText(meta.etag)}</D:getetag>`,
  ];
  return (
    `<D:response><D:href>${xmlText(hrefOf(rel, meta.isDirectory))}</D:href>` +
    `<D:propstat><D:prop>${props.join('')}</D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat></D:response>`
  );
}

/**
 * The 207 Multi-Status body of a PROPFIND (RFC 4918 section 9.1) listing `resources` with the
 * live properties NAS clients read: displayname, resourcetype, getcontentlength and
 * getcontenttype (files), getlastmodified, getetag. Whatever the request body asked for, these
 * are what is returned (a server may return more than asked; it never fails on an unknown one).
 */
export function multistatus(resources: readonly DavResource[]): string {
  return `<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">${resources.map(responseXml).join('')}</D:multistatus>\n`;
}

/** The 403 body for a Depth: infinity PROPFIND (RFC 4918 section 9.1.1, precondition). */
export const FINITE_DEPTH_ERROR =
  '<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:"><D:propfind-finite-depth/></D:error>\n';
