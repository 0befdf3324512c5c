/**
 * Types of the undici files src/util/undici.ts requires directly (undici ships types for its index
 * only); each is the index's export of the same name (src/util/undici.test.ts checks they are the
 * same objects).
 */
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
declare module 'undici/lib/dispatcher/agent.js' {
  import type { Agent } from 'undici';
  const AgentClass: typeof Agent;
  export default AgentClass;
}
declare module 'undici/lib/core/connect.js' {
  import type { buildConnector } from 'undici';
  const build: typeof buildConnector;
  export default build;
}
declare module 'undici/lib/global.js' {
  import type { Dispatcher } from 'undici';
  const global: { getGlobalDispatcher(): Dispatcher };
  export default global;
}
declare module 'undici/lib/core/util.js' {
  const util: { parseURL(url: string | URL): URL };
  export default util;
}
declare module 'undici/lib/core/errors.js' {
  import type { errors } from 'undici';
  const undiciErrors: typeof errors;
  export default undiciErrors;
}
declare module 'undici/lib/dispatcher/dispatcher.js' {
  import type { Dispatcher } from 'undici';
  const DispatcherClass: typeof Dispatcher;
  export default DispatcherClass;
}
declare module 'undici/lib/api/index.js' {
  const api: Record<'request' | 'stream' | 'pipeline' | 'upgrade' | 'connect', (...args: never[]) => unknown>;
  export default api;
}
declare module 'undici/lib/core/symbols.js' {
  /** The symbols undici keys its objects' internal state with; only the one used here is typed. */
  const symbols: { readonly kHTTP2Session: symbol };
  export default symbols;
}
