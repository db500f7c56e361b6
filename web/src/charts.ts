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
  const label = elder ? 20 : 13;
  chart.setOption({
    animation: !elder,
    textStyle: { fontSize: elder ? 20 : 14 },
    title: { text: spec.title, left: "center", textStyle: { fontSize: elder ? 24 : 16 } },
    tooltip: { trigger: "axis" },
    // Every label of the chart, not only the title: axis labels and legend default to 12 px in
    // ECharts, too small for 长者模式 (at least 18 px there).
    legend: { bottom: 0, textStyle: { fontSize: label } },
    grid: { left: elder ? 80 : 60, right: 20, top: 50, bottom: elder ? 110 : 60, containLabel: elder },
    xAxis: {
      type: "category",
      data: spec.categories,
      axisLabel: { fontSize: label, interval: 0, rotate: elder ? 45 : 0 },
    },
    yAxis: {
      type: "value",
      name: spec.unit ?? "",
      nameTextStyle: { fontSize: label },
      axisLabel: { fontSize: label },
    },
    series: spec.series.map((s) => ({ type: "bar", name: s.name, data: s.values })),
  });
  window.addEventListener("resize", () => chart.resize());
}
