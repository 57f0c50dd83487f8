/**
 * Words of the elder page's hourly activity chart (issue 7), merged into i18n.ts's lists so
 * `t()` covers them with the same type checks. Chinese first.
 */
export const activityZh = {
  act_title: '每小时活动',
  act_range: '时间范围',
  act_24h: '近 24 小时',
  act_7d: '近 7 天',
  act_steps: '步数/小时',
  act_hr: '心率均值（阴影为最低–最高）',
  act_totalSteps: '共 {n} 步',
  act_none: '该时段暂无活动数据',
  act_readings: '读数',
}

export const activityEn: Record<keyof typeof activityZh, string> = {
  act_title: 'Activity per hour',
  act_range: 'Time range',
  act_24h: 'Last 24 h',
  act_7d: 'Last 7 days',
  act_steps: 'Steps per hour',
  act_hr: 'Mean heart rate (band: min–max)',
  act_totalSteps: '{n} steps in all',
  act_none: 'No activity in this period',
  act_readings: 'readings',
}
