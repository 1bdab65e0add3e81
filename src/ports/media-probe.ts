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
  /**
   * Set when smsdesk will not fetch the URL at all (it points to a private address, or redirects there or
   * to plain http): why, without anything such a host might have answered.
   */
  refused: string | null;
}

export interface MediaProbe {
  /** Never throws: a URL that cannot be asked (timeout, DNS, connection refused) is reported as all unknown. */
  probe(url: string): Promise<MediaProbeResult>;
  /** Whether the URL may use plain http: smsdesk's own attachment links, or a development host on the allow-list. */
  plainHttpAllowed(url: string): boolean;
}

/**
 * smsdesk's own attachment links (PUBLIC_URL/attachments/:id/:signature, also what console uploads return):
 * answered from the blob records, never over HTTP.
 */
export interface OwnAttachments {
  /** Whether the URL is under PUBLIC_URL, i.e. smsdesk's own (whatever its path). */
  owns(url: string): boolean;
  /** The stored file's size and type; null when the URL is smsdesk's but no valid attachment link. */
  find(url: string): Promise<{ size: number; contentType: string } | null>;
}
