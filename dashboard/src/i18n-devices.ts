/**
 * Words of the Devices page's rejected-message column (issue 6), merged into i18n.ts's lists
 * so `t()` covers them with the same type checks. Chinese first. Reason names follow the
 * gateway's stable reject codes (gateway/src/ingest/types.ts RejectReason).
 */
export const devicesZh = {
  rejected: '拒收消息',
  rej_last: '最近拒收',
  rej_show: '查看拒收记录',
  rej_hide: '收起拒收记录',
  rej_kept: '只保留最近的拒收记录，计数不受影响',
  rej_none: '暂无拒收记录',
  rej_payload: '内容',
  rej_reason: '原因',
  rej_time: '时间',
  rr_oversize: '消息过大',
  rr_not_json: '不是 JSON',
  rr_empty: '空消息',
  rr_bad_shape: '字段格式错误',
  rr_out_of_range: '数值超出范围',
  rr_bad_ts: '时间无效',
  rr_future_ts: '时间在未来',
  rr_too_many: '条目过多',
  rr_bad_status: '状态无效',
}

export const devicesEn: Record<keyof typeof devicesZh, string> = {
  rejected: 'Rejected',
  rej_last: 'Last rejected',
  rej_show: 'Show rejected messages',
  rej_hide: 'Hide rejected messages',
  rej_kept: 'Only the most recent rejected payloads are kept; the count is exact',
  rej_none: 'No rejected messages kept',
  rej_payload: 'Payload',
  rej_reason: 'Reason',
  rej_time: 'Time',
  rr_oversize: 'Too large',
  rr_not_json: 'Not JSON',
  rr_empty: 'Empty',
  rr_bad_shape: 'Wrong shape',
  rr_out_of_range: 'Out of range',
  rr_bad_ts: 'Bad timestamp',
  rr_future_ts: 'Timestamp in the future',
  rr_too_many: 'Too many items',
  rr_bad_status: 'Bad status',
}
