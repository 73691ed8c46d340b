// The two modules store/rate-limits.ts takes from inside rate-limiter-flexible, typed with the
// package's own declarations. Its index loads every limiter it has (Redis, Mongo, MySQL, DynamoDB,
// Prisma, …, 170 KB in the bundle) when the embedded stores need only the in-memory one.
declare module 'rate-limiter-flexible/lib/RateLimiterMemory.js' {
  import { RateLimiterMemory } from 'rate-limiter-flexible';
  export default RateLimiterMemory;
}
declare module 'rate-limiter-flexible/lib/RateLimiterRes.js' {
  import { RateLimiterRes } from 'rate-limiter-flexible';
  export default RateLimiterRes;
}
