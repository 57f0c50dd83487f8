import type { Rng } from '../core/prng'

/**
 * Chinese names typical of people born in the 1940s–50s, and place names for a county town.
 * Operators read these on the board; realistic names make demos and screenshots honest.
 */
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '罗', '高', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹']
const FEMALE_GIVEN = ['秀英', '桂英', '秀兰', '玉兰', '桂兰', '凤英', '秀珍', '淑珍', '玉珍', '翠花', '金凤', '素芬', '月娥', '美华', '兰芳', '淑英', '玉梅', '春花']
const MALE_GIVEN = ['建国', '国强', '志明', '德胜', '福生', '长林', '永康', '振华', '春生', '宝山', '文斌', '家福', '树林', '守仁', '国华', '学文', '金山', '连生']
const CHILD_GIVEN = ['丽', '静', '敏', '伟', '强', '磊', '洁', '军', '燕', '涛']
const STREETS = ['人民路', '解放路', '中山路', '建设路', '和平街', '新华街', '东风路', '朝阳路', '幸福里', '文化路', '南湖路', '北门街']
const COMMUNITIES = ['东城社区', '西城社区', '南湖社区', '北关社区', '新村社区', '城中社区']

export function elderName(rng: Rng, gender: 'f' | 'm'): string {
  return rng.pick(SURNAMES) + rng.pick(gender === 'f' ? FEMALE_GIVEN : MALE_GIVEN)
}

export function childName(rng: Rng, surname: string): string {
  return surname + rng.pick(CHILD_GIVEN)
}

export function streetAddress(rng: Rng): { address: string; area: string } {
  const area = rng.pick(COMMUNITIES)
  return { address: `${rng.pick(STREETS)}${rng.int(1, 399)}号${rng.int(1, 6)}单元${rng.int(1, 6)}0${rng.int(1, 4)}室`, area }
}

/** A mobile number: 1 + a carrier digit + 9 digits (never dialled: simulator data). */
export function mobile(rng: Rng): string {
  let digits = `1${rng.pick(['3', '5', '8'])}`
  for (let i = 0; i < 9; i++) digits += String(rng.int(0, 9))
  return digits
}

/** Venue names by category; an index keeps several of a kind apart. */
export const VENUE_NAMES = {
  lecture_hall: ['福寿康健康讲座厅', '长青保健品体验馆', '夕阳红养生会馆', '百岁堂健康课堂'],
  pension_office: ['安康养老项目办事处', '颐年养老投资咨询中心', '金色晚年财富管理'],
  tour_pickup: ['夕阳红旅行社集合点', '乐享游老年团上车点', '银龄旅游接送站'],
  bank: ['中国农业银行城关支行', '中国工商银行人民路支行', '邮政储蓄银行营业所', '农村信用社东城分社'],
  market: ['东城农贸市场', '西门菜市场', '南湖生鲜市场', '北关早市', '新村便民市场'],
  park: ['人民公园', '南湖公园', '文化广场', '滨河公园'],
  hospital: ['县人民医院', '中医院', '城东社区卫生服务中心'],
  care_home: ['县福利院', '幸福里日间照料中心'],
} as const
