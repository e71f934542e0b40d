/**
 * A new signing secret as the API makes one: `whsec_` and 32 random bytes in base64. The API's PATCH takes only a
 * secret the client supplies (it generates one on create only), so the console makes the rotated one here.
 */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
