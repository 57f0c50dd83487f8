import type { JSX } from 'preact'
import { useT, type MessageKey } from '../i18n'

/** Map, Venues, Rules and Reports: planned pages, named in the nav so the layout is final. */
export function ComingPage(props: { title: MessageKey }): JSX.Element {
  const { t } = useT()
  return (
    <section class="coming-page">
      <h2>
        {t(props.title)} — {t('coming')}
      </h2>
      <p>{t('comingText')}</p>
    </section>
  )
}
