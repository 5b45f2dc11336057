/**
 * The dashboard's charts (SPEC §10): traffic used per day per product and subuser, and spend per
 * month by product. ECharts is loaded with this component only (a lazy chunk), tree-shaken to
 * the bar chart.
 */
import { useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, Row } from 'antd';
import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { api, must } from '../api/client.ts';
import { usd } from '../format.ts';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

/** One ECharts instance in a div: made on mount, given each new option, resized with its box. */
function Chart({ option, height }: { option: echarts.EChartsCoreOption; height: number }) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!box.current) return;
    const c = echarts.init(box.current);
    chart.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(box.current);
    return () => {
      resize.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, true);
  }, [option]);
  return <div ref={box} style={{ height, width: '100%' }} />;
}

/** Stacked bars: one series per key, one bar per x value; missing points are 0. */
function stacked(xs: string[], rows: { x: string; series: string; value: number }[]) {
  const names = [...new Set(rows.map((r) => r.series))];
  return names.map((name) => ({
    name,
    type: 'bar' as const,
    stack: 'total',
    data: xs.map((x) => rows.filter((r) => r.x === x && r.series === name).reduce((s, r) => s + r.value, 0)),
  }));
}

function lastDays(days: number, to: string): string[] {
  const end = new Date(to).getTime();
  return Array.from({ length: days }, (_, i) =>
    new Date(end - (days - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

export default function DashboardCharts() {
  const { t, i18n } = useTranslation();
  const usage = useQuery({
    queryKey: ['reports', 'usage'],
    queryFn: () => must(api.GET('/v1/reports/usage', { params: { query: { days: 30 } } })),
  });
  const spend = useQuery({
    queryKey: ['reports', 'spend'],
    queryFn: () => must(api.GET('/v1/reports/spend', { params: { query: { months: 12 } } })),
  });
  const product = (p: string) => t(`products.${p}`, { defaultValue: p });
  const days = usage.data ? lastDays(30, usage.data.to) : [];
  const usageSeries = stacked(
    days,
    (usage.data?.data ?? []).map((d) => ({
      x: d.day,
      series: `${product(d.product)} · ${d.subuser}`,
      value: d.used_gb,
    })),
  );
  const months = [...new Set((spend.data?.data ?? []).map((m) => m.month))];
  const spendSeries = stacked(
    months,
    (spend.data?.data ?? []).map((m) => ({ x: m.month, series: product(m.product), value: m.spend_usd })),
  );
  const base = {
    grid: { left: 48, right: 16, top: 40, bottom: 32 },
    tooltip: { trigger: 'axis' as const },
    legend: { type: 'scroll' as const, top: 0 },
  };
  return (
    <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
      <Col xs={24} lg={12}>
        <Card title={t('dashboard.usageChart')} loading={usage.isPending}>
          {usageSeries.length === 0 ? (
            <Empty description={t('dashboard.noUsage')} />
          ) : (
            <Chart
              height={280}
              option={{
                ...base,
                xAxis: { type: 'category', data: days.map((d) => d.slice(5)) },
                yAxis: { type: 'value', name: 'GB' },
                series: usageSeries,
              }}
            />
          )}
        </Card>
      </Col>
      <Col xs={24} lg={12}>
        <Card title={t('dashboard.spendChart')} loading={spend.isPending}>
          {spendSeries.length === 0 ? (
            <Empty description={t('dashboard.noSpend')} />
          ) : (
            <Chart
              height={280}
              option={{
                ...base,
                tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => usd(Number(v), i18n.language) },
                xAxis: { type: 'category', data: months },
                yAxis: { type: 'value', name: 'USD' },
                series: spendSeries,
              }}
            />
          )}
        </Card>
      </Col>
    </Row>
  );
}
