"""The `videodrafter` command line."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.logging import RichHandler

from videodrafter.config import Settings
from videodrafter.errors import VideoDrafterError

app = typer.Typer(
    help="Turn one prompt into a content-consistent multi-scene video.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
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
    typer.Option("--llm", help="LLM spec: local:smollm2 (default), local:gemma3, openai:gpt-4o, vllm:MODEL@URL."),
]


def _fail(error: Exception) -> None:
    if isinstance(error, VideoDrafterError):
        stderr.print(f"[bold red]Error:[/] {error.message}")
        if error.hint:
            stderr.print(f"[yellow]What to do:[/] {error.hint}")
    else:
        stderr.print(f"[bold red]Error:[/] invalid setting: {error}")
    raise typer.Exit(code=2)


def _settings(**overrides: object) -> Settings:
    try:
        return Settings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        _fail(error)
        raise  # unreachable: _fail exits


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every step.")] = False) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=stderr, show_path=False)],
    )


@app.command()
def script(
    prompt: Annotated[str, typer.Argument(help="What the video is about.")],
    llm: LLMOption = None,
    scenes: Annotated[int | None, typer.Option(help="Exact number of scenes (default: the LLM picks 3-6).")] = None,
    prompts: Annotated[str | None, typer.Option("--prompts", help="Prompt set version, e.g. v1 or v2.")] = None,
    enrich: Annotated[EnrichOption, typer.Option(help="Which entities get enriched descriptions.")] = EnrichOption.common,
    output_format: Annotated[OutputFormat, typer.Option("--format", help="How to print the script.")] = OutputFormat.table,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the script JSON here.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
) -> None:
    """Write a multi-scene script for PROMPT and print it."""
    from videodrafter.display import report_summary, script_table
    from videodrafter.planning.pipeline import write_script

    settings = _settings(llm=llm, prompt_set=prompts, seed=seed)
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


if __name__ == "__main__":  # pragma: no cover
    app()
