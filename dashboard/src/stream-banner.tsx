import type { JSX } from 'preact'
import { useT } from './i18n'
import { useStore } from './store'
import { streamStatus } from './stream'

/** Connection state, impossible to miss: a lost stream means the board may be stale. */
export function StreamBanner(): JSX.Element {
  const { t } = useT()
  const status = useStore(streamStatus)
  if (status === 'lost') {
    return (
      <div class="banner banner-lost" role="alert" data-testid="banner-lost">
        ⚠ {t('lost')}
      </div>
    )
  }
  if (status === 'missing') {
    return (
      <div class="banner banner-lost" role="alert" data-testid="banner-missing">
        ⚠ {t('streamMissing')}
        <button type="button" onClick={() => location.reload()}>
          {t('refresh')}
        </button>
      </div>
    )
  }
  if (status === 'caughtUp') {
    return (
      <div class="banner banner-ok" role="status" data-testid="banner-caught-up">
        ✓ {t('caughtUp')}
      </div>
    )
  }
  return (
    <div class={`livebar ${status}`} data-testid="stream-status" data-status={status}>
      <span class="dot" aria-hidden="true" /> {status === 'live' ? t('live') : t('connecting')}
    </div>
  )
}
