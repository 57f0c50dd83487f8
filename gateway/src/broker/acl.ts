import { devicePrefix } from '../../../contract/topics'

/**
 * The topic ACL of DESIGN §3: a device may publish and subscribe only under `eg/v1/<its id>/`.
 * The topics themselves (and which channel a device may publish on) are the contract's
 * (contract/topics.ts); this adds what a device may subscribe to.
 */

/**
 * Whether a device may subscribe to `filter`: only filters under its own prefix. Wildcards are
 * fine after the prefix (`eg/v1/<id>/#`), but not in place of the id (`eg/v1/+/cmd`, `#`), and
 * shared subscriptions (`$share/...`) fall outside the prefix too.
 */
export function maySubscribe(deviceId: string, filter: string): boolean {
  return filter.startsWith(devicePrefix(deviceId))
}
