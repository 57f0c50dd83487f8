import type { JSX } from 'preact'
import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ApiError, isMissingRoute } from '../api'
import { formatTime, useT } from '../i18n'
import { useAdminT } from '../i18n-admin'
import { sessionStore } from '../session'
import { useStore } from '../store'
import { toast } from '../toast'
import type { RulesState, RuleVersion } from '../types'
import { BacktestPanel } from './rules-backtest'
import { changesOf, configToSend, draftOf, type Draft } from './rules-draft'
import { checkDraft, FIELDS, fieldId, serverPath } from './rules-fields'
import { problemText, RuleGroups } from './rules-form'
import { SaveDialog } from './rules-save'
import { VersionList } from './rules-versions'

const FIELD_BY_PATH = new Map(FIELDS.map((s) => [serverPath(s), fieldId(s)]))

/**
 * The live rule thresholds (issue 6): admins edit, check, confirm and save a new version;
 * operators read. The backtest panel replays history through the values on the page.
 */
export function RulesPage(): JSX.Element {
  const { t, lang } = useT()
  const { a } = useAdminT()
  const session = useStore(sessionStore)
  const isAdmin = session?.user.role === 'admin'
  const [state, setState] = useState<RulesState | null>(null)
  const [versions, setVersions] = useState<RuleVersion[]>([])
  const [draft, setDraft] = useState<Draft | null>(null)
  const [loadError, setLoadError] = useState<string | null>(null)
  /** The gateway's 400 by field id; '' holds failures that name no field on this page. */
  const [serverErrors, setServerErrors] = useState<Map<string, string>>(new Map())
  const [confirming, setConfirming] = useState(false)
  const [saving, setSaving] = useState(false)

  const load = async () => {
    try {
      const [current, list] = await Promise.all([api<RulesState>('GET', '/rules'), api<{ items: RuleVersion[] }>('GET', '/rules/versions')])
      setState(current)
      setVersions(list.items)
      setDraft(draftOf(current.config))
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) setLoadError(a('rules_noPermission'))
      else setLoadError(isMissingRoute(err) ? t('missingRoute') : t('loadFailed'))
    }
  }
  useEffect(() => void load(), [])

  const problems = useMemo(() => checkDraft(draft?.texts ?? {}), [draft])
  if (loadError !== null) return <p class="empty">{loadError}</p>
  if (state === null || draft === null) return <p class="muted">…</p>

  const errors = new Map<string, string>()
  for (const [id, message] of serverErrors) if (id !== '') errors.set(id, `${a('rules_gateway')}${message}`)
  for (const [id, problem] of problems) errors.set(id, problemText(lang, problem))
  const changes = changesOf(state.config, draft)
  const valid = problems.size === 0

  const edit = (next: Draft) => {
    setDraft(next)
    setServerErrors(new Map())
  }

  const save = async (note: string) => {
    setSaving(true)
    try {
      const body = { config: configToSend(state.stored, state.config, draft), ...(note.trim() === '' ? {} : { note: note.trim() }) }
      const saved = await api<{ version: number }>('PUT', '/rules', body)
      toast(a('rules_saved', { version: saved.version }))
      setConfirming(false)
      await load()
    } catch (err) {
      const byField = new Map<string, string>()
      const fields = err instanceof ApiError ? err.fields : []
      for (const f of fields) byField.set(FIELD_BY_PATH.get(f.path) ?? '', f.message)
      if (fields.length === 0) byField.set('', (err as Error).message)
      setServerErrors(byField)
      setConfirming(false)
      toast(a('rules_saveFailed'), 'error')
    } finally {
      setSaving(false)
    }
  }

  return (
    <section class="rules-page" data-testid="rules-page" data-version={state.version}>
      <div class="rules-head">
        <span>
          {a('rules_version')} <b data-testid="rules-version">v{state.version}</b>
        </span>
        {state.updatedAt !== null && (
          <span class="muted">
            {a('rules_updated')} {formatTime(lang, state.updatedAt)} · {state.updatedBy}
          </span>
        )}
        {!isAdmin && (
          <span class="read-only" data-testid="rules-read-only">
            {a('rules_readOnly')}
          </span>
        )}
        {isAdmin && (
          <span class="rules-actions">
            {!valid && (
              <span class="form-error" data-testid="rules-invalid">
                {a('rules_fixFields')}
              </span>
            )}
            <button type="button" disabled={changes.length === 0} onClick={() => edit(draftOf(state.config))}>
              {a('rules_reset')}
            </button>
            <button type="button" class="primary" data-testid="rules-save" disabled={!valid || changes.length === 0} onClick={() => setConfirming(true)}>
              {changes.length === 0 ? a('rules_noChanges') : `${a('rules_save')} (${changes.length})`}
            </button>
          </span>
        )}
      </div>
      {serverErrors.has('') && (
        <p class="form-error" role="alert">
          {a('rules_gateway')}
          {serverErrors.get('')}
        </p>
      )}
      <div class="rules-layout">
        <RuleGroups config={state.config} defaults={state.defaults} draft={draft} onDraft={edit} errors={errors} readOnly={!isAdmin} />
        <div class="rules-side">
          <BacktestPanel config={valid ? configToSend(state.stored, state.config, draft) : null} />
          <section class="card">
            <h3>{a('rules_versions')}</h3>
            <VersionList versions={versions} />
          </section>
        </div>
      </div>
      {confirming && <SaveDialog changes={changes} saving={saving} onConfirm={(note) => void save(note)} onCancel={() => setConfirming(false)} />}
    </section>
  )
}
