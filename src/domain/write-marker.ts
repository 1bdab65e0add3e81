/**
 * The text smsdesk puts in every body it writes to a remote helpdesk, by which a write that may have happened
 * (a crash between the call and its record) is found again, and by which smsdesk knows its own notes.
 */
export function writeMarker(key: string): string {
  return `smsdesk ref ${key}`;
}

/** Whether a body carries smsdesk's marker, i.e. smsdesk wrote it (even if the crash lost the record). */
export function hasWriteMarker(html: string): boolean {
  return html.includes(writeMarker(''));
}
