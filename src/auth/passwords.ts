import { hash, verify } from '@node-rs/argon2';

/** argon2id (the library's default algorithm) with OWASP's minimum parameters: 19 MiB, t=2, p=1. */
const OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashSecret(secret: string): Promise<string> {
  return hash(secret, OPTIONS);
}

// Verified against when the account does not exist, so that a wrong username
// costs as long as a wrong password and timing does not tell them apart.
let dummyHash: Promise<string> | undefined;

export async function verifySecret(storedHash: string | null | undefined, secret: string): Promise<boolean> {
  if (!storedHash) {
    dummyHash ??= hashSecret('not-a-real-password-but-the-same-cost');
    await verify(await dummyHash, secret).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, secret);
  } catch {
    return false;
  }
}
