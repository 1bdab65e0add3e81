/**
 * What Twilio will find at an outbound media URL, asked before a message is accepted: Twilio fetches each
 * MediaUrl when it sends, and refuses more than 5 MB in all, so the sizes are known up front where the
 * server tells them.
 */
export interface MediaProbeResult {
  /** Bytes, when the server said (Content-Length, or the total of a Content-Range). */
  size: number | null;
  contentType: string | null;
  /** Set when the server answered that the file cannot be had (401, 403, 404, 410): what it answered. */
  unreachable: string | null;
}

export interface MediaProbe {
  /** Never throws: a URL that cannot be asked (timeout, DNS, connection refused) is reported as all unknown. */
  probe(url: string): Promise<MediaProbeResult>;
}
