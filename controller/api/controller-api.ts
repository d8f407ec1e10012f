import type { Registry } from 'prom-client';
import type { DecisionRecord } from '../decision-log.js';
import type { StatusDocument } from '../status.js';

/** What the HTTP API needs from the running controller, and nothing more. */
export interface ControllerApi {
  /** True once a configuration is loaded and a first tick has run. */
  isReady(): boolean;
  status(): StatusDocument;
  /** Newest first. */
  decisions(limit: number): readonly DecisionRecord[];
  readonly registry: Registry;
}
