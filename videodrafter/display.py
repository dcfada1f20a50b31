"""Rich renderings of scripts and reports for the terminal."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from videodrafter.graph.review import ScriptReport
from videodrafter.script import VideoScript


def script_table(script: VideoScript) -> Group:
    """The scenes as a table, then the entities with their descriptions."""
    scenes = Table(title=script.title or script.prompt, show_lines=True)
    for column in ("#", "event", "action", "foreground", "background", "camera"):
        scenes.add_column(column, overflow="fold")
    for number, scene in enumerate(script.scenes, start=1):
        scenes.add_row(
            str(number),
            scene.event,
            scene.action,
            ", ".join(script.entity(entity_id).name for entity_id in scene.foreground) or "-",
            script.entity(scene.background).name,
            scene.camera.label(),
        )
    common = {entity.id for entity in script.common_entities}
    entities = Table(title="Entities", show_lines=True)
    for column in ("name", "kind", "scenes", "description"):
        entities.add_column(column, overflow="fold")
    for entity in script.entities:
        where = ", ".join(str(index + 1) for index in script.scenes_with(entity.id))
        name = Text(entity.name, style="bold" if entity.id in common else "")
        entities.add_row(name, entity.kind.value, where, entity.description)
    return Group(scenes, entities)


def report_summary(report: ScriptReport) -> str:
    usage = report.usage
    rate = usage.output_tokens / usage.seconds if usage.seconds else 0.0
    return (
        f"{report.llm} · prompts {report.prompt_set} · {report.attempts} planning attempt(s) in "
        f"{report.rounds} review round(s) · "
        f"{usage.calls} LLM calls · {usage.input_tokens} in / {usage.output_tokens} out tokens "
        f"({rate:.0f} tok/s) · {report.seconds:.1f}s"
    )


def outcome_table(outcome) -> Table:
    """Where a run's files are, and what it cost."""
    table = Table(title=f"run {outcome.run_id}: {outcome.status.replace('_', ' ')}", show_header=False)
    table.add_column("what", style="bold", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_row("folder", str(outcome.run_dir))
    if outcome.result is not None:
        info = outcome.result.info
        table.add_row("video", f"{outcome.result.video}  ({info.width}x{info.height}, {info.frames} frames, {info.duration_s:.1f} s, {info.codec})")
        table.add_row("contact sheet", str(outcome.result.contact_sheet))
        table.add_row("subtitles", str(outcome.result.subtitles))
        table.add_row("timeline", str(outcome.result.timeline))
    if outcome.script is not None:
        table.add_row("scenes", str(len(outcome.script.scenes)))
    usage = outcome.usage
    table.add_row("LLM", f"{usage.calls} calls, {usage.input_tokens} tokens in, {usage.output_tokens} out")
    table.add_row("time", f"{outcome.seconds:.1f} s this session")
    return table


STATUS_STYLE = {"queued": "dim", "running": "yellow", "done": "green", "failed": "red", "interrupted": "magenta"}


def batch_table(batch_id: str, records) -> Table:
    """One row per item: status, attempts, time (a running item's stage and time so far), tokens, and the reason of a failure."""
    table = Table(title=f"batch {batch_id}")
    for column in ("item", "status", "tries", "stage / time", "tokens", "prompt / reason"):
        table.add_column(column)
    for record in records:
        status = record.status.value
        detail = record.error if status == "failed" else (record.item.prompt or str(record.item.script))
        table.add_row(
            record.item.id, f"[{STATUS_STYLE[status]}]{status}[/]", str(record.attempts),
            record.progress() or (f"{record.seconds:.1f} s" if record.seconds else ""), str(record.tokens or ""), detail[:80],
        )
    return table


def batch_summary_table(summary) -> Table:
    table = Table(title=f"batch {summary.batch_id}: {summary.done}/{summary.total} done", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("executor", summary.executor)
    table.add_row("done / failed", f"{summary.done} / {summary.failed}")
    table.add_row("time", f"{summary.seconds:.1f} s")
    table.add_row("LLM", f"{summary.llm_calls} calls, {summary.tokens} tokens")
    table.add_row("status table", f"{summary.folder}/batch.sqlite (summary.json)")
    for item_id, video in summary.videos.items():
        table.add_row(f"video {item_id}", video)
    for item_id, error in summary.failures.items():
        table.add_row(f"failed {item_id}", error[:200])
    return table


RUN_STATUS_STYLE = {
    "done": "green", "running": "yellow", "waiting_for_approval": "cyan", "interrupted": "magenta", "failed": "red", "unfinished": "dim",
}


def runs_table(records) -> Table:
    """The run history, newest first: what each run was about, how far it got, where its video is."""
    table = Table(title=f"{len(records)} run(s), newest first")
    for column, style in (("run", "bold"), ("prompt", ""), ("status", ""), ("scenes", ""), ("created (UTC)", ""), ("video / next step", "")):
        table.add_column(column, style=style, overflow="fold")
    for record in records:
        status = record.status_label
        if record.status == "failed" and record.error:
            status += f": {record.error[:60]}"
        table.add_row(  # Text: a prompt is the user's words, a '[' in it is not markup
            Text(record.run_id), Text(record.prompt[:60]), Text(status, style=RUN_STATUS_STYLE[record.status]),
            record.scenes_label, record.created_label,
            Text(str(record.video) if record.video else (record.next_step() or "")),
        )
    return table


def estimate_table(estimate) -> Table:
    """`make --dry-run`: each stage's expected time, the LLM's calls and tokens, the API price."""
    table = Table(title=f"estimate: about {_minutes(estimate.seconds)} (nothing was made)")
    for column in ("stage", "items", "time", "from"):
        table.add_column(column)
    for stage in estimate.stages:
        table.add_row(stage.stage, str(stage.items or ""), _minutes(stage.seconds), stage.source)
    if estimate.llm_calls:
        table.add_row(
            "LLM", str(estimate.llm_calls),
            f"{estimate.input_tokens:,} tokens in, {estimate.output_tokens:,} out", estimate.llm_source,
        )
    table.add_row("price", "", f"${estimate.price_usd:.4f}", Text(estimate.price_note))
    return table


def _minutes(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"
