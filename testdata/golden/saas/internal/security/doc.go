// Package security holds the small cryptographic and input-checking
// building blocks the rest of the service relies on: random tokens, API
// keys, HMAC signatures, Standard Webhooks signatures, argon2id password
// hashes and validation helpers.
//
// Every function here is safe for concurrent use. The API is deliberately
// small and stable: features build on it rather than on crypto packages
// directly, so the parameters live in one reviewed place.
package security
