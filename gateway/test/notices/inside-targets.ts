/**
 * The targets the probes aimed webhooks at (14 of 14 accepted before), and the other
 * spellings of the same places: each must be refused as written, whatever the port or path.
 */
export const INSIDE_TARGETS = [
  'http://127.0.0.1:8080/api/v1/users',
  'http://127.0.0.1:5432/',
  'http://[::1]:8080/hook',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.5/hook',
  'http://192.168.1.10/hook',
  'http://172.16.3.4/hook',
  'http://2130706433/hook',
  'http://0x7f000001/hook',
  'http://0177.0.0.1/hook',
  'http://127.1/hook',
  'http://100.64.0.1/hook',
  'http://100.100.100.200/latest/meta-data/',
  'http://[fd00::1]/hook',
  'http://[fd00:ec2::254]/latest/meta-data/',
  'http://[fe80::1]/hook',
  'http://[::ffff:127.0.0.1]/hook',
  'http://[::ffff:169.254.169.254]/hook',
  'http://0.0.0.0:8080/hook',
  'http://localhost:8080/hook',
  'http://LOCALHOST./hook',
  'http://board.localhost/hook',
  'http://metadata.google.internal/computeMetadata/v1/',
  'https://[::]/hook',
] as const
