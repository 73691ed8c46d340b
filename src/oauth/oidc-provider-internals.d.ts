// Types of the one oidc-provider internal Postern reaches into (client-cache.ts): the per-instance
// state its modules share, read through the weak_cache helper.
declare module 'oidc-provider/lib/helpers/weak_cache.js' {
  export default function instance(provider: object): unknown;
}
