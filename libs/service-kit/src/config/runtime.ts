/** The oldest Node.js major the services run on (package.json `engines`; isolated-vm 7 needs it). */
export const MINIMUM_NODE_MAJOR = 24;

/**
 * The one line a service prints before it stops when the Node.js running it is too old, or null when it is
 * new enough. The machine's own `node` may be older than the project's (node_modules/.bin/node).
 */
export function unsupportedNodeMessage(version: string, execPath: string): string | null {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (major >= MINIMUM_NODE_MAJOR) return null;
  return (
    `Signalbox runs on Node.js ${MINIMUM_NODE_MAJOR}, and this is ${version} (${execPath}): start the service ` +
    `with node_modules/.bin/node (npm scripts and npx put it first on the PATH)`
  );
}
