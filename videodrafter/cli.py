"""The `videodrafter` command line."""

from __future__ import annotations

import functools
import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, get_args

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from videodrafter import __version__
from videodrafter.config import Settings, SpeedProfileName
from videodrafter.engines.diffusers_presets import engine_help
from videodrafter.cli_progress import batch_progress, case_progress, stage_progress
from videodrafter.errors import InputError, VideoDrafterError


def _value_label(param, ctx=None) -> str | None:
    """What an option's value looks like in the help (SPEC, N, table|json); nothing for a flag.

    Typer's own labels are Python annotations (``<list[str]>``, ``<bool>`` on every flag), which
    mean nothing to someone who does not read the source.
    """
    if getattr(param, "is_flag", False):
        return None
    if param.metavar:
        return param.metavar
    described = param.type_descriptor
    if described.is_choice:
        return "|".join(str(getattr(choice, "value", choice)) for choice in described.choices or ())
    if described.is_path:
        return "PATH"
    item = param._bare_type(described.annotation).removeprefix("list[").removesuffix("]")
    return {"int": "N", "float": "NUMBER"}.get(item, "TEXT")


def _usage_name(param) -> str:
    """A required argument reads PROMPT in the usage line, as in most tools (Typer writes {PROMPT})."""
    return param.display_name_raw if param.required else f"[{param.display_name_raw}]"


class _PlainLabels:
    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            param.display_type_rich = functools.partial(_value_label, param)
            if hasattr(param, "_usage_display_name"):
                param._usage_display_name = functools.partial(_usage_name, param)
        return params


class Command(_PlainLabels, TyperCommand):
    pass


class Group(_PlainLabels, TyperGroup):
    pass


app = typer.Typer(
    help="Turn one prompt into a content-consistent multi-scene video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=Group,
)
app_command = functools.partial(app.command, cls=Command)
stderr = Console(stderr=True)
stdout = Console()


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


class EnrichOption(StrEnum):
    common = "common"
    all = "all"
    none = "none"


LLMOption = Annotated[
    str | None,
    typer.Option("--llm", metavar="SPEC", help="LLM spec: local:smollm2 (default), local:gemma3, openai:gpt-4o, vllm:MODEL@URL."),
]


VoiceOption = Annotated[
    str | None,
    typer.Option("--voice", metavar="SPEC", help="Narration: espeak (default, offline), openai:tts-1[:VOICE], openai-compatible:MODEL[:VOICE]@URL, none (silent)."),
]


def _fail(error: Exception) -> None:
    # soft_wrap: a long path in a message stays whole (rich would otherwise cut it with "…").
    if isinstance(error, VideoDrafterError):
        # escaped: a message quotes the user's input or a pattern ('[a-z0-9]'), which is not markup
        stderr.print(f"[bold red]Error:[/] {escape(error.message)}", soft_wrap=True)
        if error.hint:
            stderr.print(f"[yellow]What to do:[/] {escape(error.hint)}", soft_wrap=True)
    elif isinstance(error, ValidationError):
        for problem in error.errors(include_url=False):
            field = ".".join(str(part) for part in problem["loc"])
            where = f"{field} (VIDEODRAFTER_{field.upper()}): " if field else ""
            given = f" (got {problem['input']!r})" if field and not isinstance(problem["input"], dict) else ""
            detail = escape(f"{where}{problem['msg'].removeprefix('Value error, ')}{given}")
            stderr.print(f"[bold red]Error:[/] invalid setting: {detail}", soft_wrap=True)
        stderr.print("[yellow]What to do:[/] fix the option or the VIDEODRAFTER_* environment variable named above.", soft_wrap=True)
    else:
        stderr.print(f"[bold red]Error:[/] invalid setting: {escape(str(error))}", soft_wrap=True)
    raise typer.Exit(code=2)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        _fail(error)
        raise  # unreachable: _fail exits


def _check_choices(settings: Settings, **which: bool) -> None:
    """--engine and --llm are checked before any work (see ``check_choices``)."""
    from videodrafter.run_inputs import check_choices

    try:
        check_choices(settings, **which)
    except VideoDrafterError as error:
        _fail(error)


def _raise_interrupt(_signum: int, _frame: object) -> None:
    """A SIGTERM handler: stop the way Ctrl-C does. Ctrl-C reaches the whole process group (ffmpeg
    included); SIGTERM from docker, systemd or `timeout` reaches this process only, so a group leader
    passes it on, and no encoder is left running behind it."""
    import os
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if os.getpgrp() == os.getpid():
        os.killpg(os.getpgrp(), signal.SIGTERM)
    raise KeyboardInterrupt


def _interrupted(message: str, command: str | None) -> None:
    """Ctrl-C: say what was kept and how to go on, then leave at once with the shell's code for SIGINT.

    ``os._exit``: a step may still be finishing in a worker thread, and a normal exit would wait
    for it; everything it had finished is on disk, and a resume cleans up after it.
    """
    import os
    import sys

    stderr.print(f"\n[bold yellow]Interrupted.[/] {message}")
    if command:
        stderr.print(f"[yellow]To continue:[/] {command}", soft_wrap=True)
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    logging.shutdown()
    os._exit(130)


def _verbose(value: bool) -> bool:
    """-v works before or after the command: ``videodrafter -v make …`` and ``videodrafter make … -v``."""
    if value:
        logging.getLogger().setLevel(logging.INFO)
    return value


def _version(value: bool) -> None:
    if value:
        stdout.print(f"videodrafter {__version__}")
        raise typer.Exit()


SpeedProfile = StrEnum("SpeedProfile", {name.replace("-", "_"): name for name in get_args(SpeedProfileName)})
"""--profile choices: the Settings field's own list."""


VerboseOption = Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.", callback=_verbose)]


@app.callback()
def main(
    verbose: VerboseOption = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_path=False)],
    )
    import signal

    signal.signal(signal.SIGTERM, _raise_interrupt)  # every command stops on SIGTERM as on Ctrl-C: status recorded, the command that continues


@app_command()
def script(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="What the video is about.")],
    llm: LLMOption = None,
    scenes: Annotated[int | None, typer.Option(help="Exact number of scenes (default: the LLM picks 3-6).")] = None,
    prompts: Annotated[str | None, typer.Option("--prompts", metavar="VERSION", help="Prompt set version, e.g. v1 or v2.")] = None,
    enrich: Annotated[EnrichOption, typer.Option(help="Which entities get enriched descriptions.")] = EnrichOption.common,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="How to print the script.")] = OutputFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH", help="Also write the script JSON here.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    critique: Annotated[bool, typer.Option("--critique/--no-critique", help="Let the LLM review the script.")] = True,
    verbose: VerboseOption = False,
) -> None:
    """Write a multi-scene script for PROMPT and print it (planned, reviewed, enriched).

    Examples:

    \b
      videodrafter script "a dog's day at the beach" --scenes 4
      videodrafter script "a robot learns to paint" --format json -o script.json
    """
    from videodrafter.display import report_summary, script_table
    from videodrafter.graph.review import write_script

    settings = _settings(llm=llm, prompt_set=prompts, seed=seed, critique=critique)
    _check_choices(settings, engine=False, voice=False)
    try:
        with stderr.status("writing the script…") as status:
            report = write_script(
                prompt,
                settings,
                scenes=scenes,
                enrich=enrich.value,
                on_step=lambda step: status.update(f"{step}…"),
            )
    except VideoDrafterError as error:
        _fail(error)
        return
    except KeyboardInterrupt:
        _interrupted("No script was written.", None)
    document = report.script.model_dump(mode="json")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    if output_format is OutputFormat.json:
        stdout.print_json(data=document)
    else:
        stdout.print(script_table(report.script))
    for note in report.notes:
        stderr.print(f"[dim]note: {note}[/]")
    stderr.print(f"[dim]{report_summary(report)}[/]")


EngineOption = Annotated[
    str | None, typer.Option("--engine", metavar="NAME", help=engine_help())
]


@app_command()
def make(
    prompt: Annotated[str, typer.Argument(metavar="PROMPT", help="What the video is about (may be empty with --script).")] = "",
    llm: LLMOption = None,
    engine: EngineOption = None,
    scenes: Annotated[int | None, typer.Option(help="Exact number of scenes (default: the LLM picks 3-6).")] = None,
    script_file: Annotated[Path | None, typer.Option("--script", metavar="FILE", help="Render this script JSON instead of planning one.")] = None,
    run_id: Annotated[str | None, typer.Option("--run-id", metavar="RUN_ID", help="Name of the run folder (default: time + prompt).")] = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders go (default: ./runs).")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed for the LLM and the images.")] = None,
    enrich: Annotated[EnrichOption | None, typer.Option(help="Which entities get enriched descriptions (default: common, those in two or more scenes; none is fastest).", show_default=False)] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Pause after the script for approval (resume with --approve).")] = False,
    critique: Annotated[bool, typer.Option("--critique/--no-critique", help="Let the LLM review the script.")] = True,
    critic: Annotated[str | None, typer.Option("--critic", metavar="SPEC", help="Vision LLM that judges scene images and clips against the references (openai:gpt-4o, vllm:<model>@<url>); advisory.")] = None,
    candidates: Annotated[int | None, typer.Option("--candidates", metavar="K", help="Scene images per scene and round, made in one batched call; the best is kept.")] = None,
    image_embedder: Annotated[str | None, typer.Option("--image-embedder", metavar="SPEC", help="auto, appearance, clip, dinov2[:<hub id>] (consistency check).")] = None,
    profile: Annotated[SpeedProfile | None, typer.Option("--profile", help=Settings.model_fields["profile"].description)] = None,
    turbo_lora: Annotated[str | None, typer.Option("--turbo-lora", metavar="FILE", help=Settings.model_fields["turbo_lora"].description)] = None,
    voice: VoiceOption = None,
    music: Annotated[str | None, typer.Option("--music", metavar="none|auto|FILE", help=Settings.model_fields["music"].description)] = None,
    music_level: Annotated[float | None, typer.Option("--music-level", metavar="LUFS", help=Settings.model_fields["music_level_db"].description)] = None,
    voice_level: Annotated[float | None, typer.Option("--voice-level", metavar="LUFS", help=Settings.model_fields["voice_level_db"].description)] = None,
    subtitles: Annotated[bool | None, typer.Option("--subtitles/--no-subtitles", help=Settings.model_fields["subtitle_burn"].description, show_default=False)] = None,
    subtitle_position: Annotated[str | None, typer.Option("--subtitle-position", metavar="bottom|top", help=Settings.model_fields["subtitle_position"].description)] = None,
    subtitle_size: Annotated[float | None, typer.Option("--subtitle-size", metavar="PERCENT", help=Settings.model_fields["subtitle_size"].description)] = None,
    subtitle_box: Annotated[bool | None, typer.Option("--subtitle-box/--no-subtitle-box", help=Settings.model_fields["subtitle_box"].description, show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what the run would take (stages, time, LLM tokens, API price) and make nothing.")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Make a multi-scene video for PROMPT: script, references, scene images, clips, one mp4.

    Examples:

    \b
      videodrafter make "a dog's day at the beach" --scenes 4
      videodrafter make --script script.json --engine tiny
      videodrafter make "a kite festival" --approve   (pause to review the script)
      videodrafter make "a kite festival" --engine sdxl-wan --dry-run   (time and price first)
      videodrafter make "a kite festival" --music auto --subtitle-position top
      videodrafter make --script script.json --candidates 3 --critic vllm:Qwen/Qwen2.5-VL-7B-Instruct@http://gpu:8000/v1
    """
    from videodrafter.graph.runner import start_run

    settings = _settings(
        llm=llm, engine=engine, seed=seed, runs_dir=runs_dir, approve_script=approve or None, critique=critique, enrich=enrich.value if enrich else None,
        critic=critic, candidates=candidates, image_embedder=image_embedder, profile=profile.value if profile else None,
        turbo_lora=turbo_lora, voice=voice, music=_music_choice(music), music_level_db=music_level, voice_level_db=voice_level,
        subtitle_burn=subtitles, subtitle_position=subtitle_position, subtitle_size=subtitle_size, subtitle_box=subtitle_box,
    )
    script = _read_script(script_file) if script_file else None
    if dry_run:
        _print_estimate(prompt, settings, scenes, script)
        return
    # every choice (engine, LLM, critic, embedder, voice), the prompt and the script are checked once, in start_run
    _run_with_progress(lambda on_event: start_run(prompt, settings, scenes=scenes, script=script, run_id=run_id, on_event=on_event))


@app_command()
def resume(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run folder name under the runs directory.")],
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders are (default: ./runs).")] = None,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the script of a run paused for approval (as edited in its script.json).")] = False,
    script_file: Annotated[Path | None, typer.Option("--script", metavar="FILE", help="With --approve: approve this script instead of the run's script.json.")] = None,
    llm: Annotated[str | None, typer.Option("--llm", metavar="SPEC", help="Use this LLM for the steps not yet done (kept for later resumes).")] = None,
    engine: Annotated[str | None, typer.Option("--engine", metavar="NAME", help="Use this engine for the steps not yet done (kept for later resumes).")] = None,
    voice: Annotated[str | None, typer.Option("--voice", metavar="SPEC", help="Speak the narration with this voice (kept for later resumes; none: silent).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Continue a run that was interrupted or paused; finished work is reused.

    Examples:

    \b
      videodrafter resume 20260101-120000-a-dog-s-day-1a2b
      videodrafter resume my-run --approve --engine tiny
      videodrafter resume my-run --approve --script edited.json
    """
    from videodrafter.graph.runner import resume_run

    folder = _settings(runs_dir=runs_dir).runs_dir  # VIDEODRAFTER_RUNS_DIR, like every other command
    _settings(llm=llm, engine=engine, voice=voice)  # the changed settings' syntax; resume_run checks what they name
    _run_with_progress(
        lambda on_event: resume_run(
            run_id, folder, approve={"approved": True} if approve or script_file else None, script_file=script_file,
            overrides={"engine": engine, "llm": llm, "voice": voice}, on_event=on_event,
        )
    )


@app_command()
def redo(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="The run folder name under the runs directory.")],
    scene: Annotated[int, typer.Option("--scene", min=1, metavar="N", help="The scene to draw again (1 is the first).")],
    seed: Annotated[int | None, typer.Option("--seed", min=0, max=2**31 - 2, help="Draw with this seed (an earlier try's seed brings it back); default: a new one.")] = None,
    event: Annotated[str | None, typer.Option("--event", metavar="TEXT", help="A new event for the scene.")] = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders are (default: ./runs).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Draw one scene's picture and clip again (and what depends on them); the rest is kept.

    Examples:

    \b
      videodrafter redo my-run --scene 2
      videodrafter redo my-run --scene 2 --event "the dog digs up a shell"
      videodrafter redo my-run --scene 2 --seed 1234   (an earlier try back, from its files)
    """
    from videodrafter.graph.redo import redo_scene

    folder = _settings(runs_dir=runs_dir).runs_dir
    tries = []

    def run(on_event):
        outcome, record = redo_scene(run_id, folder, scene, seed=seed, event=event, on_event=on_event)
        tries.append(record)
        return outcome

    _run_with_progress(run)
    if tries:
        back = f"videodrafter redo {run_id} --scene {scene} --seed {tries[0].seed_before}" + (f" --runs-dir {runs_dir}" if runs_dir else "")
        stderr.print(f"Scene {scene} was drawn with seed {tries[0].seed_after}; the try before comes back with `{back}` (tries: {folder / run_id / 'redos.jsonl'}).", soft_wrap=True, markup=False)


@app_command()
def export(
    run_id: Annotated[str, typer.Argument(metavar="RUN_ID", help="A finished run's folder name.")],
    export_format: Annotated[str, typer.Option("--format", metavar="FORMAT", help="fcpxml (Final Cut Pro), premiere-xml (Premiere, Resolve), edl, kdenlive, capcut (a CapCut / Jianying draft folder).")],
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders are (default: ./runs).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Write a finished run's timeline for another editor: cuts, held frames, crossfades, narration.

    Examples:

    \b
      videodrafter export my-run --format fcpxml
      videodrafter export my-run --format edl
      videodrafter export my-run --format capcut
    """
    from videodrafter.graph.run_history import find_run
    from videodrafter.media.exports import export_timeline

    try:
        record = find_run(_settings(runs_dir=runs_dir).runs_dir, run_id)
        stdout.print(str(export_timeline(record.run_dir, export_format)), markup=False, highlight=False, soft_wrap=True)
    except VideoDrafterError as error:
        _fail(error)


@app_command()
def runs(
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders are (default: ./runs).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Show only the newest N runs.")] = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="How to print the list.")] = OutputFormat.table,
    verbose: VerboseOption = False,
) -> None:
    """List the runs, newest first: id, prompt, status, scenes, when, and the video (or how to go on).

    Examples:

    \b
      videodrafter runs
      videodrafter runs --limit 5 --format json
    """
    from videodrafter.display import runs_table
    from videodrafter.graph.run_history import list_runs

    folder = _settings(runs_dir=runs_dir).runs_dir
    records = list_runs(folder, limit=limit)
    if output_format is OutputFormat.json:
        stdout.print_json(data=[{**record.model_dump(mode="json"), "next_step": record.next_step()} for record in records])
        return
    if not records:
        stderr.print(f'No runs in {folder} yet. Make one with `videodrafter make "a dog\'s day at the beach"`.')
        return
    stdout.print(runs_table(records))


class ExecutorOption(StrEnum):
    local = "local"
    ray = "ray"


@app_command()
def batch(
    items_file: Annotated[Path, typer.Argument(metavar="FILE", help="prompts.txt (one per line) or items.jsonl (per-item options).")],
    executor: Annotated[ExecutorOption, typer.Option(help="local (this process) or ray (actors; a local cluster unless --ray-address).")] = ExecutorOption.local,
    workers: Annotated[int | None, typer.Option(min=1, max=256, help="Items made at once. local: 1 (default) in this process; 2 or more in worker processes, each loading its own models once (mind GPU memory). ray: this many actors (default 2).")] = None,
    ray_address: Annotated[str | None, typer.Option("--ray-address", metavar="ADDRESS", help="Address of a running Ray cluster (e.g. ray://head:10001).")] = None,
    retries: Annotated[int, typer.Option(min=0, max=10, help="Retries of a failed item.")] = 1,
    batch_id: Annotated[str | None, typer.Option("--batch-id", metavar="BATCH_ID", help="Name of the batch; give the same one to resume it.")] = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders go (default: ./runs).")] = None,
    llm: LLMOption = None,
    engine: EngineOption = None,
    seed: Annotated[int | None, typer.Option(help="Base seed (items may set their own).")] = None,
    voice: VoiceOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Make a video for every item of a batch file; resumable, with bounded retries.

    Examples:

    \b
      videodrafter batch prompts.txt
      videodrafter batch items.jsonl --workers 2
      videodrafter batch items.jsonl --executor ray --workers 4 --batch-id nightly

    Every item that finished or failed is listed in results.jsonl beside the batch's batch.sqlite.
    Ctrl-C or SIGTERM stops the batch: finished items are kept and the same command continues it.
    """
    from videodrafter.agent.batch import BatchInterrupted, run_batch
    from videodrafter.agent.batch_items import batch_id_for, read_batch_file
    from videodrafter.display import batch_summary_table
    from videodrafter.graph.run_folder import validate_run_id

    settings = _settings(llm=llm, engine=engine, seed=seed, runs_dir=runs_dir, voice=voice)
    _check_choices(settings, llm_needed=False)  # the batch's defaults; each item's own llm/engine in run_batch
    try:
        items = read_batch_file(items_file)
        name = validate_run_id(batch_id) if batch_id else batch_id_for(items_file)
        with batch_progress(stderr, name) as on_update:
            summary = run_batch(
                items, settings, batch_id=name, executor=executor.value, workers=workers, retries=retries,
                ray_address=ray_address, on_update=on_update,
            )
    except VideoDrafterError as error:
        _fail(error)
        return
    except BatchInterrupted as stopped:
        which = f" (interrupted: {', '.join(stopped.interrupted)})" if stopped.interrupted else ""
        again = _batch_again(items_file, stopped.batch_id, runs_dir=runs_dir, executor=executor, workers=workers)
        _interrupted(f"Finished items are kept; items under way resume where they stopped{which}.", again)
    except KeyboardInterrupt:
        _interrupted("Nothing was started.", None)
    stdout.print(batch_summary_table(summary))
    if summary.failed:
        raise typer.Exit(code=1)


def _batch_again(items_file: Path, batch_id: str, *, runs_dir: Path | None, executor: ExecutorOption, workers: int | None) -> str:
    """The command that continues an interrupted batch: the same batch id, runs folder, executor and workers."""
    import shlex

    again = ["videodrafter", "batch", str(items_file), "--batch-id", batch_id]
    if runs_dir is not None:
        again += ["--runs-dir", str(runs_dir)]
    if executor is not ExecutorOption.local:
        again += ["--executor", executor.value]
    if workers is not None:
        again += ["--workers", str(workers)]
    return shlex.join(again)


eval_app = typer.Typer(cls=Group, no_args_is_help=False, pretty_exceptions_enable=False, add_completion=False)
app.add_typer(eval_app, name="eval")


def _check_eval_specs(llms: list[str], judge: str | None, engine: str | None, critic: str | None) -> None:
    """Every LLM, the judge, the engine and the critic are checked before any case runs."""
    for spec in [*llms, *([judge] if judge else [])]:
        _check_choices(_settings(llm=spec), engine=False, llm_needed=False, voice=False)
    if engine is not None:
        _check_choices(_settings(engine=engine), llm=False, voice=False)
    if critic:
        from videodrafter.consistency.vision_critic import check_critic_spec

        try:
            check_critic_spec(critic)
        except VideoDrafterError as error:
            _fail(error)


@eval_app.callback(invoke_without_command=True)
def eval_command(
    ctx: typer.Context,
    suite: Annotated[str, typer.Option("--suite", metavar="NAME", help="A suite that ships with videodrafter (smoke, genres) or the path of a .yaml file.")] = "smoke",
    llms: Annotated[list[str] | None, typer.Option("--llm", metavar="SPEC", help="LLM spec to evaluate; repeat to compare.")] = None,
    prompt_sets: Annotated[list[str] | None, typer.Option("--prompts", metavar="VERSION", help="Prompt set; repeat to compare (v1, v2).")] = None,
    seed: Annotated[int, typer.Option(help="Seed for every case (recorded in the report).")] = 0,
    engine: EngineOption = None,
    clip_model: Annotated[Path | None, typer.Option("--clip-model", metavar="DIR", help="CLIP folder for the visual metrics (with --engine).")] = None,
    judge: Annotated[str | None, typer.Option("--judge", metavar="SPEC", help="LLM spec of a coherence judge (e.g. openai:gpt-4o).")] = None,
    critic: Annotated[str | None, typer.Option("--critic", metavar="SPEC", help="Vision LLM that judges the rendered cases (with --engine): critic pass rate, regenerations per scene.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="PATH", help="Report folder (default: evals/results/SUITE-TIME).")] = None,
    repeats: Annotated[int, typer.Option(min=1, max=20, help="Run every case N times: latency gets a spread (mean ± sd), since the machine may be busy.")] = 1,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Ask the LLM every time: neither read nor write the answer cache (evals/cache/).")] = False,
    verbose: VerboseOption = False,
) -> None:
    """Compare prompt sets and LLM backends on a suite of prompts; writes markdown, JSON and HTML.

    Examples:

    \b
      videodrafter eval --suite smoke
      videodrafter eval --suite genres --prompts v1 --prompts v2 --repeats 3
      videodrafter eval compare evals/results/smoke-A evals/results/smoke-B
    """
    if ctx.invoked_subcommand is not None:  # `eval compare …`: the options above are for a new eval
        return
    from datetime import UTC, datetime

    from rich.markdown import Markdown

    from videodrafter.evals.cases import load_suite
    from videodrafter.evals.reports import cache_line, markdown_table, write_reports
    from videodrafter.evals.runner import EvalConfig, run_eval

    settings = _settings()
    _check_eval_specs(llms or [], judge, engine, critic)
    try:
        loaded = load_suite(suite)
        config = EvalConfig(
            suite=loaded.name, llms=llms or [settings.llm], prompt_sets=prompt_sets or [settings.prompt_set], seed=seed,
            engine=engine, clip_model=clip_model, judge=judge, critic=critic, repeats=repeats, cache_dir=None if no_cache else Path("evals/cache"),
        )
        folder = output or Path("evals/results") / f"{loaded.name}-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        with case_progress(stderr) as on_progress:
            report = run_eval(loaded, config, settings, folder, on_progress=on_progress)
        paths = write_reports(report, folder)
    except VideoDrafterError as error:
        _fail(error)
        return
    stdout.print(Markdown(markdown_table(report)))
    stderr.print("[dim]↑ higher is better, ↓ lower is better; the best value of a row is bold.[/]")
    stderr.print(f"[dim]reports: {paths['markdown']}, {paths['json']}, {paths['html']}[/]")
    if cache_line(report):
        stderr.print(cache_line(report), style="dim", markup=False, highlight=False)


@eval_app.command("compare", cls=Command)
def eval_compare(
    first: Annotated[Path, typer.Argument(metavar="REPORT_A", help="An earlier report folder (written by `videodrafter eval`).")],
    second: Annotated[Path, typer.Argument(metavar="REPORT_B", help="A later report folder of the same suite.")],
    output: Annotated[Path | None, typer.Option("--output", "-o", metavar="FILE", help="Also write the comparison here (markdown).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Compare two eval reports of one suite side by side; each change is marked better or worse.

    Examples:

    \b
      videodrafter eval compare evals/results/smoke-A evals/results/smoke-B
      videodrafter eval compare before/ after/ -o comparison.md
    """
    from rich.markdown import Markdown

    from videodrafter.evals.compare import compare_reports, load_report

    try:
        text = compare_reports(load_report(first), load_report(second), names=("A", "B"))
    except VideoDrafterError as error:
        _fail(error)
        return
    stdout.print(f"A = {first}\nB = {second}", soft_wrap=True)
    stdout.print(Markdown(text))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(f"A = {first}\n\nB = {second}\n\n{text}\n")


@app_command()
def chat(
    session: Annotated[str | None, typer.Option("--session", metavar="SESSION_ID", help="Continue this session (its id is printed at the start).")] = None,
    new: Annotated[bool, typer.Option("--new", help="Start a new session named by --session (instead of refusing an unknown id).")] = False,
    message: Annotated[list[str] | None, typer.Option("--message", "-m", help="Send this message and exit (repeatable).")] = None,
    llm: LLMOption = None,
    engine: EngineOption = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where runs and sessions go (default: ./runs).")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Talk to a draft: "make me a video about …", then "make the dog brown", "add a scene at sunset", …

    Examples:

    \b
      videodrafter chat
      videodrafter chat -m "make me a video about a cat in a garden" -m "make the cat orange"
      videodrafter chat --session chat-1a2b3c -m "undo"
    """
    import sys

    from videodrafter.agent.chat import ChatSession
    from videodrafter.agent.interpret import HELP

    settings = _settings(llm=llm, engine=engine, runs_dir=runs_dir)
    _check_choices(settings, llm_needed=False)
    session_id = session or ChatSession.new_id()
    try:
        conversation = ChatSession(settings, session_id, must_exist=session is not None and not new)
    except VideoDrafterError as error:
        _fail(error)
        return
    stderr.print(f"[dim]session {session_id} (continue later with --session {session_id}). {HELP}[/]")
    lines = iter(message) if message else (line.rstrip("\n") for line in sys.stdin)
    try:
        for line in lines:
            if not sys.stdin.isatty() or message:
                stdout.print(f"[bold]you:[/] {line}")
            if line.strip().lower() in ("quit", "exit", "bye"):
                break
            with stage_progress(stderr) as on_event:  # the same stage lines as `make`
                conversation.context.on_event = on_event
                reply = conversation.send(line)
            # the reply is the user's and the LLM's text (a '[' is not markup) and may hold a table: no re-wrapping
            stdout.print(Text.assemble(("videodrafter: ", "bold cyan"), reply), soft_wrap=True)
    except KeyboardInterrupt as stopped:
        from videodrafter.graph.runner import RunInterrupted

        again = f"videodrafter chat --session {session_id}" + (f" --runs-dir {runs_dir}" if runs_dir else "")
        if isinstance(stopped, RunInterrupted):
            _interrupted(f"The video under way is kept as far as it got: `{stopped.command}` finishes it.", again)
        _interrupted("The conversation so far is saved.", again)
    finally:
        conversation.close()


@app_command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 7860,
    llm: LLMOption = None,
    engine: EngineOption = None,
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir", metavar="DIR", help="Where run folders go (default: ./runs).")] = None,
    auth: Annotated[str | None, typer.Option("--auth", metavar="USER:PASSWORD", envvar="VIDEODRAFTER_WEB_AUTH", show_envvar=True,
                                             help="Ask every visitor for this user and password.")] = None,
    verbose: VerboseOption = False,
) -> None:
    """Serve the web UI: write, edit and approve the script, add photos, watch the video being made.

    Examples:

    \b
      videodrafter serve
      VIDEODRAFTER_WEB_AUTH=team:long-secret videodrafter serve --host 0.0.0.0 --port 8080 --engine tiny
    """
    import os

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from videodrafter.web.app import serve as serve_app

    settings = _settings(llm=llm, engine=engine, runs_dir=runs_dir)
    _check_choices(settings, llm_needed=False)
    credentials = _credentials(auth)
    if credentials is None and host not in ("127.0.0.1", "localhost", "::1"):
        stderr.print(
            f"[bold yellow]Warning:[/] {host} lets other machines in, and without --auth anyone who reaches port {port} can see, "
            "start, approve and delete every run. Set --auth USER:PASSWORD (or VIDEODRAFTER_WEB_AUTH).",
            soft_wrap=True,
        )
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    stderr.print(f"videodrafter web UI on http://{host}:{port}" + (" (sign-in required)" if credentials else ""))
    serve_app(settings, host, port, auth=credentials)


def _credentials(auth: str | None) -> tuple[str, str] | None:
    if auth is None:
        return None
    user, _, password = auth.partition(":")
    if not user or len(password) < 8:
        _fail(InputError("--auth must be USER:PASSWORD with a password of at least 8 characters.", "e.g. --auth team:a-long-secret"))
    return user, password


def _music_choice(music: str | None) -> str | None:
    """--music as the run keeps it: a file as an absolute path, so a resume from another folder finds it."""
    if music is None or music in ("none", "auto"):
        return music
    return str(Path(music).expanduser().resolve())


def _print_estimate(prompt: str, settings: Settings, scenes: int | None, script) -> None:
    """`make --dry-run`: the inputs checked as for a run, then the estimate; nothing is written."""
    from videodrafter.display import estimate_table
    from videodrafter.graph.estimate import estimate_run
    from videodrafter.run_inputs import check_run_inputs

    try:
        check_run_inputs(prompt, settings, scenes=scenes, script=script, llm=False)  # a price is wanted before a key is
        settings.llm_spec  # noqa: B018 - a malformed spec is still refused
        stdout.print(estimate_table(estimate_run(settings, scenes=scenes, script=script)))
    except VideoDrafterError as error:
        _fail(error)


def _read_script(path: Path):
    from videodrafter.run_inputs import load_script_file

    try:
        return load_script_file(path)
    except VideoDrafterError as error:
        _fail(error)


def _run_with_progress(run) -> None:
    from videodrafter.display import outcome_table
    from videodrafter.graph.runner import RunInterrupted

    try:
        with stage_progress(stderr) as on_event:
            outcome = run(on_event)
    except VideoDrafterError as error:
        _fail(error)
        return
    except RunInterrupted as stopped:
        _interrupted("Everything finished so far is kept.", stopped.command)
    except KeyboardInterrupt:
        _interrupted("The run had not started yet; nothing was lost.", None)
    stdout.print(outcome_table(outcome))
    for note in outcome.notes:
        stderr.print(f"[dim]note: {note}[/]")
    if outcome.status == "waiting_for_approval":
        from videodrafter.graph.run_folder import resume_command

        command = f"{resume_command(outcome.run_id, outcome.run_dir.parent)} --approve"
        stderr.print(
            f"[yellow]The script is waiting for approval:[/] review (and edit, if you like) {outcome.run_dir / 'script.json'}, then run `{command}`.",
            soft_wrap=True,
        )


if __name__ == "__main__":  # pragma: no cover
    app()
