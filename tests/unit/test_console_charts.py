"""The console's SVG charts: well-formed, accessible, escaped, and suppressed bars as words."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from birge_console.charts import Band, Bar, Interval, bar_chart, interval_plot

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it


def _rect_widths(root: ET.Element) -> list[float]:
    return [float(rect.get("width", "0")) for rect in root.iter(f"{SVG}rect")]


def test_a_bar_chart_is_an_image_named_by_its_title_and_description() -> None:
    svg = bar_chart(
        chart_id="funnel",
        title="From invitation to attendance",
        description="Invited: 20; Attended: 10",
        bars=[Bar("Invited", 20, "20"), Bar("Attended", 10, "10")],
        maximum=20,
    )
    root = _parse(svg)

    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "funnel-title funnel-desc"
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title is not None
    assert title.get("id") == "funnel-title"
    assert title.text == "From invitation to attendance"
    assert desc is not None
    assert desc.text == "Invited: 20; Attended: 10"
    assert "style=" not in svg  # the console's CSP allows no inline styles


def test_bars_are_proportional_and_clamped_to_the_scale() -> None:
    root = _parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[Bar("all", 20, "20"), Bar("half", 10, "10"), Bar("over", 40, "40")],
            maximum=20,
        )
    )
    full, half, over = _rect_widths(root)

    assert half == full / 2
    assert over == full


def test_a_suppressed_bar_is_an_outline_with_its_word_and_no_number() -> None:
    svg = bar_chart(
        chart_id="c",
        title="t",
        description="d",
        bars=[Bar("Attended", None, "suppressed (fewer than 5)")],
        maximum=10,
    )
    root = _parse(svg)
    (rect,) = root.iter(f"{SVG}rect")
    texts = [text.text for text in root.iter(f"{SVG}text")]

    assert rect.get("fill") == "none"
    assert "suppressed (fewer than 5)" in texts
    assert not any(text and text.isdigit() for text in texts)


def test_the_band_is_marked_between_its_ends() -> None:
    root = _parse(
        bar_chart(
            chart_id="mix",
            title="Mix",
            description="d",
            bars=[Bar("Host", 0.5, "50%"), Bar("Migrant", 0.5, "50%")],
            maximum=1.0,
            band=Band(low=0.4, high=0.6, label="band 40–60 %"),
        )
    )
    band, host, _migrant = list(root.iter(f"{SVG}rect"))
    plot = host.get("width")
    assert plot is not None
    full = float(plot) * 2  # a share of 0.5 is half the plot

    assert float(band.get("width", "0")) == round(0.2 * full, 1)
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 2
    assert "band 40–60 %" in [text.text for text in root.iter(f"{SVG}text")]


def test_texts_are_escaped() -> None:
    svg = bar_chart(
        chart_id="c",
        title="<script>alert(1)</script>",
        description="a & b",
        bars=[Bar("<b>", 1, "1")],
        maximum=1,
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "a &amp; b" in svg
    _parse(svg)


def test_an_interval_plot_draws_the_mean_inside_its_interval() -> None:
    root = _parse(
        interval_plot(
            chart_id="att",
            title="Attitude change",
            description="+0.5 (0.1 to 0.9)",
            rows=[Interval("After − before", 0.5, 0.1, 0.9, "+0.5")],
            low=-4,
            high=4,
        )
    )
    (point,) = root.iter(f"{SVG}circle")
    lines = list(root.iter(f"{SVG}line"))
    interval = next(line for line in lines if line.get("stroke-width") == "3")
    x_low, x_high = float(interval.get("x1", "0")), float(interval.get("x2", "0"))

    assert x_low < float(point.get("cx", "0")) < x_high
    # The reference line at zero lies left of an interval wholly above zero.
    zero = next(line for line in lines if line.get("stroke-dasharray"))
    assert float(zero.get("x1", "0")) < x_low
    assert {"-4", "+4", "0"} <= {text.text for text in root.iter(f"{SVG}text")}


def test_a_suppressed_interval_draws_no_point() -> None:
    root = _parse(
        interval_plot(
            chart_id="att",
            title="t",
            description="d",
            rows=[Interval("After − before", None, None, None, "")],
            low=-4,
            high=4,
            suppressed_text="suppressed",
        )
    )

    assert list(root.iter(f"{SVG}circle")) == []
    assert "suppressed" in [text.text for text in root.iter(f"{SVG}text")]


def test_a_label_too_long_for_its_column_is_squeezed_to_fit() -> None:
    root = _parse(
        bar_chart(
            chart_id="c",
            title="t",
            description="d",
            bars=[Bar("Принимающее сообщество", 1, "1"), Bar("Мигранты", 1, "1")],
            maximum=1,
        )
    )
    long, short = (text for text in root.iter(f"{SVG}text") if text.get("text-anchor") == "end")

    assert long.get("textLength") is not None
    assert long.get("lengthAdjust") == "spacingAndGlyphs"
    assert short.get("textLength") is None
