/** The loader-thread half of module-list.mjs: posts the URL of every module loaded. */
let port;

export function initialize(data) {
  port = data.port;
}

export async function load(url, context, next) {
  port.postMessage(url);
  return next(url, context);
}
