/**
 * A self-signed certificate (valid until 2126) for tests' own https servers: files.example.test, localhost and
 * 127.0.0.1. Test-only: the key protects nothing. Made with
 * openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500 -subj /CN=files.example.test \
 *   -addext "subjectAltName=DNS:files.example.test,DNS:localhost,IP:127.0.0.1" -addext "basicConstraints=critical,CA:TRUE"
 */
export const TEST_TLS_KEY = `
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMtAQ99psXKcwc5Zb
/TUavcNGuFSv+qx/PCA8LU6x/ZehRANCAASWF6Wf7enXpSQs2WKefwk0PcCFthb1
IpN+5a6CoA2KVLKli30qM/KIKLB5VpnOQbz3RiHDaPnznTE0v6FKObL6
-----END PRIVATE KEY-----
`;

export const TEST_TLS_CERT = `
-----BEGIN CERTIFICATE-----
MIIBwzCCAWmgAwIBAgIUJXzcImqY73TAXrsCjT1ao2YGyKswCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSZmlsZXMuZXhhbXBsZS50ZXN0MCAXDTI2MTIwMzEzMTk1NFoY
DzIxMjYxMTA5MTMxOTU0WjAdMRswGQYDVQQDDBJmaWxlcy5leGFtcGxlLnRlc3Qw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASWF6Wf7enXpSQs2WKefwk0PcCFthb1
IpN+5a6CoA2KVLKli30qM/KIKLB5VpnOQbz3RiHDaPnznTE0v6FKObL6o4GEMIGB
MB0GA1UdDgQWBBS7Or0NG/fqWLcCoiB4K7VV2tXK0jAfBgNVHSMEGDAWgBS7Or0N
G/fqWLcCoiB4K7VV2tXK0jAuBgNVHREEJzAlghJmaWxlcy5leGFtcGxlLnRlc3SC
CWxvY2FsaG9zdIcEfwAAATAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0gA
MEUCIQDmf6xV2y5YENgnIo0ma2V7OmxbOuSjz5mjfXYXxZY0bwIgX6kenJ5HvTW4
p8GQnySBfBAqzlf3l92iv4Ejppc7zpY=
-----END CERTIFICATE-----
`;
