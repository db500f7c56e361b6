// Charts of data release pages: each ```chart block (JSON written at publish time from the same
// analytics result as the table above it) becomes an ECharts bar chart; the JSON block is then
// hidden, the table stays.
import * as echarts from "echarts/core";
import { BarChart, LineChart } from "echarts/charts";
import { GridComponent, TooltipComponent, TitleComponent, LegendComponent } from "echarts/components";
import { SVGRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, GridComponent, TooltipComponent, TitleComponent, LegendComponent, SVGRenderer]);

interface ChartSpec {
  title: string;
  categories: string[];
  series: { name: string; values: (number | null)[] }[];
  unit?: string;
}

for (const code of document.querySelectorAll<HTMLElement>("pre > code.language-chart")) {
  let spec: ChartSpec;
  try {
    spec = JSON.parse(code.textContent ?? "");
  } catch {
    continue;
  }
  const pre = code.parentElement!;
  const box = document.createElement("div");
  box.className = "chart";
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", spec.title + "（图表，数据见上表）");
  pre.replaceWith(box);
  const elder = document.documentElement.classList.contains("elder");
  const chart = echarts.init(box, undefined, { renderer: "svg" });
  chart.setOption({
    animation: !elder,
    textStyle: { fontSize: elder ? 20 : 14 },
    title: { text: spec.title, left: "center", textStyle: { fontSize: elder ? 24 : 16 } },
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 60, right: 20, top: 50, bottom: 60 },
    xAxis: { type: "category", data: spec.categories },
    yAxis: { type: "value", name: spec.unit ?? "" },
    series: spec.series.map((s) => ({ type: "bar", name: s.name, data: s.values })),
  });
  window.addEventListener("resize", () => chart.resize());
}
