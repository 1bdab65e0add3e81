/**
 * The one form in which smsdesk compares email addresses: users are stored and looked up by it, and sign-in
 * throttling counts by it, so no spelling reaches an account while counting as another. Compatibility forms
 * (fullwidth letters, the Kelvin sign) become their plain letters, case is folded, accents and other combining
 * marks (the dot of `İ`) and invisible characters are dropped: `KİM@Example.com` and `kim@example.com` are
 * one address. The database compares this key exactly; it never lower-cases by its own (locale's) rules.
 */
export function emailKey(email: string): string {
  let key = email.trim();
  // Twice: lower-casing can make a mark (İ → i + U+0307) and decomposing can make a capital (ℌ → H).
  for (let i = 0; i < 2; i++) key = key.normalize('NFKD').replace(DROPPED, '').toLowerCase();
  return key.normalize('NFC');
}

const DROPPED = /[\p{M}\p{Default_Ignorable_Code_Point}]/gu;
