// Entry point of dist/charts.js: ECharts on report pages only
// (<script src="/static/charts.js" defer nonce="…"></script>).
//
// A chart is an element with data-chart="<id of a <script type="application/json">>" whose
// JSON (written by Django's json_script filter, never inline JS) says what to draw:
//   {"kind": "donut", "items": [{"name": "Delivered", "value": 40, "color": "#198754"}, …]}
//   {"kind": "lines", "labels": ["10:01", …], "series": [{"name": "Sent", "data": [3, …], "color": "…"}, …]}
// Numbers show in the page's language (Persian digits in fa). Charts inside content that
// htmx swaps (the report refreshes every few seconds) are drawn again after each swap.
import * as echarts from 'echarts/core';
import { LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

const FONT = 'Vazirmatn, system-ui, sans-serif';

function lang() {
  return document.documentElement.getAttribute('lang') || 'en';
}

function numberFormat() {
  const code = lang() === 'fa' ? 'fa-IR' : lang();
  try {
    return new Intl.NumberFormat(code);
  } catch {
    return new Intl.NumberFormat();
  }
}

function readData(el) {
  const source = document.getElementById(el.getAttribute('data-chart'));
  if (!source) return null;
  try {
    return JSON.parse(source.textContent);
  } catch {
    return null;
  }
}

export function chartOptions(data, rtl, fmt) {
  const text = { fontFamily: FONT };
  const valueFormatter = (v) => (typeof v === 'number' ? fmt.format(v) : v);
  if (data.kind === 'donut') {
    return {
      animation: false,
      textStyle: text,
      tooltip: { trigger: 'item', valueFormatter, renderMode: 'richText' },
      legend: { bottom: 0, left: 'center', textStyle: text },
      series: [
        {
          type: 'pie',
          radius: ['45%', '72%'],
          center: ['50%', '45%'],
          avoidLabelOverlap: true,
          label: { show: false },
          data: (data.items || []).map((item) => ({
            name: item.name,
            value: item.value,
            itemStyle: item.color ? { color: item.color } : undefined,
          })),
        },
      ],
    };
  }
  return {
    animation: false,
    textStyle: text,
    tooltip: { trigger: 'axis', valueFormatter, renderMode: 'richText' },
    legend: { top: 0, textStyle: text },
    grid: { left: 48, right: 24, top: 36, bottom: 28, containLabel: true },
    xAxis: { type: 'category', boundaryGap: false, data: data.labels || [], inverse: rtl },
    yAxis: {
      type: 'value',
      minInterval: 1,
      position: rtl ? 'right' : 'left',
      axisLabel: { formatter: (v) => fmt.format(v) },
    },
    series: (data.series || []).map((s) => ({
      name: s.name,
      type: 'line',
      smooth: true,
      showSymbol: (data.labels || []).length < 30,
      data: s.data,
      itemStyle: s.color ? { color: s.color } : undefined,
      lineStyle: s.color ? { color: s.color } : undefined,
    })),
  };
}

const drawn = new Map();

export function drawCharts(root = document) {
  const fmt = numberFormat();
  for (const [el, chart] of drawn) {
    if (!el.isConnected) {
      chart.dispose();
      drawn.delete(el);
    }
  }
  root.querySelectorAll('[data-chart]').forEach((el) => {
    const data = readData(el);
    if (!data) return;
    // the container is dir="ltr" (ECharts lays legends out left to right); time runs
    // right to left only when a page asks for it with data-chart-rtl
    const rtl = el.hasAttribute('data-chart-rtl');
    let chart = drawn.get(el);
    if (!chart) {
      // the container needs a height before ECharts measures it (no style attributes in templates)
      if (!el.clientHeight) el.style.height = `${el.getAttribute('data-chart-height') || 300}px`;
      chart = echarts.init(el, null, { renderer: 'svg' });
      drawn.set(el, chart);
    }
    chart.setOption(chartOptions(data, rtl, fmt), true);
    el.setAttribute('data-chart-ready', '1');
  });
}

function start() {
  drawCharts(document);
  document.addEventListener('htmx:afterSettle', (event) => drawCharts((event.detail && event.detail.elt) || document));
  window.addEventListener('resize', () => drawn.forEach((chart) => chart.resize()));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
