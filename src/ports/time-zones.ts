/** A recipient's time zone and where it came from, for quiet hours and the console. */
export interface RecipientZone {
  zone: string;
  /** e.g. "from +44", "the contact's time zone", "DEFAULT_TIMEZONE: the number does not tell". */
  source: string;
}
