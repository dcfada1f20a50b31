"""Grounded planning: the cast step, then scenes whose grammar only knows the declared names."""

import json

import pytest

from tests.fixtures.models import ScriptedChatModel
from videodrafter.config import Settings
from videodrafter.llm.local_chat import LlamaCppChatModel
from videodrafter.planning.constrained_planner import BEAT_OPENINGS, CAMERA_GROUPS
from videodrafter.planning.planner import plan_script
from videodrafter.script import EntityKind

PROMPT = "a fox and a crow race across a snowy forest at night"
CAST_ANSWER = json.dumps(
    {"title": "The Great Race", "looks": {"fox": "a slim red fox with a white-tipped tail", "crow": "a glossy black crow",
                                          "snowy forest": "tall pines under deep snow"}}
)
EVENTS = [
    "One day, the fox meets the crow under the tallest pine of the snowy forest.",
    "Then, the crow dares the fox to race to the frozen lake.",
    "But then, the fox slips on the ice while the crow flies ahead.",
    "Finally, the crow waits for the fox and they cross the finish line together.",
]


def _scenes(events: list[str], foregrounds: list[list[str]] | None = None) -> str:
    foregrounds = foregrounds or [["fox"], ["crow", "fox"], ["fox"], ["fox", "crow"]]
    directions = ["zoom in", "left", "zoom out", "static"]
    return json.dumps(
        {
            "scenes": [
                {"foreground": fg, "background": "snowy forest", "event": event, "action": "runs",
                 "camera_direction": direction, "camera_speed": "slow"}
                for fg, event, direction in zip(foregrounds, events, directions, strict=True)
            ]
        }
    )


def _settings() -> Settings:
    return Settings(planning="grounded", plan_max_attempts=2)


def test_the_grammar_offers_only_the_prompts_cast_and_story_beats() -> None:
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(EVENTS)])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    cast_schema = model.seen[0][1]["response_format"]["json_schema"]["schema"]
    assert cast_schema["properties"]["looks"]["required"] == ["fox", "crow", "snowy forest"]
    scenes_schema = model.seen[1][1]["response_format"]["json_schema"]["schema"]
    slots = scenes_schema["properties"]["scenes"]["prefixItems"]
    # each event opens with its story beat's word: beginning, middle, turn, ending
    openings = [slot["properties"]["event"]["pattern"].split(")")[0] for slot in slots]
    assert openings == ["^(" + "|".join(BEAT_OPENINGS[beat]) for beat in ("beginning", "middle", "turn", "ending")]
    assert slots[0]["properties"]["foreground"]["items"]["enum"] == ["fox", "crow"]
    assert slots[0]["properties"]["background"]["enum"] == ["snowy forest"]
    # the two characters meet in the ending by construction
    assert slots[3]["properties"]["foreground"]["const"] == ["fox", "crow"]
    # consecutive scenes draw their camera move from different groups, so moves vary
    groups = [set(slot["properties"]["camera_direction"]["enum"]) for slot in slots]
    assert groups[0] == {d.value for d in CAMERA_GROUPS[0]} and groups[1] == {d.value for d in CAMERA_GROUPS[1]}
    assert slots[2]["properties"]["event"]["pattern"].startswith("^(" + "|".join(BEAT_OPENINGS["turn"]))

    script = result.script
    assert [(entity.name, entity.kind) for entity in script.entities] == [
        ("fox", EntityKind.FOREGROUND), ("crow", EntityKind.FOREGROUND), ("snowy forest", EntityKind.BACKGROUND),
    ]
    assert script.title == "The Great Race"
    assert script.entity("fox").description == "a slim red fox with a white-tipped tail"
    # the time of day colours the place instead of becoming a character
    assert script.entity("snowy-forest").description == "tall pines under deep snow, night"
    assert len({scene.camera.label() for scene in script.scenes}) == 4


def test_a_repeated_event_is_sent_back_once_then_kept_with_a_note() -> None:
    repeated = [EVENTS[0], EVENTS[0].replace("One day", "Then"), EVENTS[2], EVENTS[3]]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(repeated), _scenes(repeated)])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    assert "scene 2 tells the same event as scene 1" in result.problems[0]
    assert "scene 2 tells the same event as scene 1" in model.seen[2][0][-1].content
    assert any(note.startswith("kept although scene 2 tells the same event") for note in result.notes)


def test_the_picture_shows_whom_the_event_names() -> None:
    model = ScriptedChatModel(
        replies=[
            json.dumps({"title": "Kite", "looks": {"girl": "a girl in a yellow coat", "kite": "a red diamond kite",
                                                   "windy hill": "a green hill"}}),
            json.dumps({"scenes": [
                {"foreground": ["girl"], "background": "windy hill", "camera_direction": "static",
                 "event": "One day, the girl climbs the windy hill.", "action": "climbs", "camera_speed": "slow"},
                {"foreground": ["girl"], "background": "windy hill", "camera_direction": "left",
                 "event": "Finally, the girl lets her kite dance in the sky.", "action": "pulls the string", "camera_speed": "slow"},
            ]}),
        ]
    )
    result = plan_script("a girl flies a kite on a windy hill", model, _settings(), min_scenes=2, max_scenes=2)
    assert result.script.scenes[1].foreground == ["girl", "kite"]
    assert "scene 2 tells of 'kite', so it shows it too" in result.notes


def test_with_no_place_named_the_story_gets_the_nearest_place() -> None:
    model = ScriptedChatModel(
        replies=[
            json.dumps({"title": "Sandcastle", "looks": {"first robot": "a small silver robot", "second robot": "a round blue robot",
                                                         "sandcastle": "a tall sandcastle", "beach": "golden sand"}}),
            json.dumps({"scenes": [
                {"foreground": ["first robot", "sandcastle"], "background": "beach", "camera_direction": "zoom in",
                 "event": "One day, the first robot starts a sandcastle.", "action": "digs", "camera_speed": "slow"},
                {"foreground": ["first robot", "second robot"], "background": "beach", "camera_direction": "right",
                 "event": "Finally, the tide washes the sandcastle away and both robots wave.", "action": "wave", "camera_speed": "slow"},
            ]}),
        ]
    )
    result = plan_script("two robots build a sandcastle and the tide comes in", model, _settings(), min_scenes=2, max_scenes=2)
    assert model.seen[0][1]["response_format"]["json_schema"]["schema"]["properties"]["looks"]["required"] == [
        "first robot", "second robot", "sandcastle", "beach",
    ]
    assert result.script.entity("beach").kind is EntityKind.BACKGROUND
    assert "tide" in result.script.entity("beach").description
    assert any("nearest place to its words, 'beach'" in note for note in result.notes)


def test_auto_planning_is_grounded_for_the_embedded_models_only(tmp_path) -> None:
    from videodrafter.planning.planner import plans_grounded
    from videodrafter.prompts import load_prompt_set

    embedded = LlamaCppChatModel(model_path=tmp_path / "x.gguf")
    assert plans_grounded(embedded, Settings(), load_prompt_set("v1"))
    assert not plans_grounded(embedded, Settings(), load_prompt_set("v2"))  # the line format stays one call
    assert not plans_grounded(ScriptedChatModel(replies=[]), Settings(), load_prompt_set("v1"))


@pytest.mark.parametrize("prompt", ["a fox and a crow race across a snowy forest", "a grandmother teaches her grandson to bake bread"])
def test_a_remote_style_script_that_drops_the_cast_is_sent_back(prompt: str) -> None:
    dropped = json.dumps({
        "title": "T", "entities": [{"name": "cat", "description": "a cat"}, {"name": "house", "description": "a house"}],
        "scenes": [{"event": f"The cat does thing {n}.", "action": "sleeps", "foreground": ["cat"], "background": "house",
                    "camera_direction": "static", "camera_speed": "slow"} for n in range(2)],
    })
    model = ScriptedChatModel(replies=[dropped, dropped])
    result = plan_script(prompt, model, Settings(plan_max_attempts=2), min_scenes=2, max_scenes=2)
    first_problem = result.problems[0]
    for member in ("fox", "crow", "snowy forest") if "fox" in prompt else ("grandmother", "grandson", "bread"):
        assert f"the prompt names '{member}', but no scene shows it" in first_problem
    assert any(note.startswith("kept although the prompt names") for note in result.notes)


def test_a_cast_member_no_event_names_still_gets_a_scene() -> None:
    scenes = _scenes(EVENTS, [["fox"], ["fox"], ["fox"], ["fox"]]).replace("the crow", "the bird").replace("The crow", "The bird")
    model = ScriptedChatModel(replies=[CAST_ANSWER, scenes])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    assert "'crow' was in no scene; it was added to scene 1" in result.notes
    assert result.script.scenes[0].foreground == ["fox", "crow"]


def test_a_place_the_prompt_names_gets_a_scene() -> None:
    model = ScriptedChatModel(
        replies=[
            json.dumps({"title": "Trip", "looks": {"bear": "a brown bear", "forest": "pines", "river": "a wide river"}}),
            json.dumps({"scenes": [
                {"foreground": ["bear"], "background": "forest", "camera_direction": "static",
                 "event": "One day, the bear wakes up among the pines.", "action": "yawns", "camera_speed": "slow"},
                {"foreground": ["bear"], "background": "forest", "camera_direction": "left",
                 "event": "Finally, the bear catches a fish.", "action": "grabs", "camera_speed": "slow"},
            ]}),
        ]
    )
    result = plan_script("a bear walks from the forest to the river", model, _settings(), min_scenes=2, max_scenes=2)
    assert [scene.background for scene in result.script.scenes] == ["forest", "river"]
    assert "'river' was in no scene; scene 2 is set there" in result.notes


def test_a_prompt_the_cast_reader_cannot_read_is_planned_in_one_call() -> None:
    reply = json.dumps({
        "title": "Renard", "entities": [{"name": "renard", "description": "un renard roux"}, {"name": "forêt", "description": "neige"}],
        "scenes": [{"event": event, "action": "court", "foreground": ["renard"], "background": "forêt",
                    "camera_direction": direction, "camera_speed": "slow"}
                   for event, direction in [("Le renard se réveille sous la neige.", "left"), ("Le renard attrape le fromage du corbeau.", "right")]],
    })
    model = ScriptedChatModel(replies=[reply])
    result = plan_script("un renard et un corbeau dans la forêt enneigée", model, _settings(), min_scenes=2, max_scenes=2)
    assert len(model.seen) == 1 and "entities" in model.seen[0][1]["response_format"]["json_schema"]["schema"]["properties"]
    assert [entity.name for entity in result.script.entities] == ["renard", "forêt"]


def test_an_event_that_tells_of_someone_outside_the_cast_is_retold_with_the_cast() -> None:
    """The grammar limits who is shown, not what the event says: 'a cat watches' is caught after it,
    and the scene is retold at once (the embedded models do not act on such feedback)."""
    invented = [EVENTS[0], "Then, the crow dares the fox while a sleepy cat watches from a branch.", EVENTS[2], EVENTS[3]]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(invented)])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    retold = result.script.scenes[1]
    opening, told = retold.event.split(", ", 1)
    assert opening in BEAT_OPENINGS["middle"] and told == "the crow dares the fox at the snowy forest."  # its verb phrase, cut before the cat
    assert retold.narration == retold.event and retold.action == "dares the fox", "the one sentence is heard; the action is its verb phrase"
    assert any("scene 2 told of 'sleepy cat'" in note for note in result.notes)
    assert [scene.event for scene in result.script.scenes[2:]] == EVENTS[2:], "the other scenes are kept as written"


def test_a_retold_scene_keeps_a_verb_phrase_of_an_action_and_drops_a_sentence() -> None:
    from videodrafter.planning.constrained_planner import told_by_the_cast
    from videodrafter.script import Entity, Scene

    cast = [Entity(id="dog", name="dog", kind="foreground"), Entity(id="beach", name="beach", kind="background")]
    scene = Scene(event="x", action="the dog nuzzles the towel", foreground=["dog"], background="beach")
    assert told_by_the_cast(scene, cast, "beginning", 0, "a dog's day at the beach").event == "One day, the dog nuzzles the towel at the beach."
    named = [Entity(id="luna", name="Luna", kind="foreground"), cast[1]]
    luna = scene.model_copy(update={"foreground": ["luna"], "action": "Luna hoots"})
    assert told_by_the_cast(luna, named, "middle", 1, "Luna the owl at the beach").event == "Next, Luna hoots at the beach."
    sentence = scene.model_copy(update={"action": "It ate half of the pizza however the dog was still left"})
    assert told_by_the_cast(sentence, cast, "turn", 2, "a dog's day at the beach").event == "All at once, the dog stops short at the beach."


def test_other_words_for_a_cast_member_are_not_strangers() -> None:
    from videodrafter.planning.grounding_checks import strangers
    from videodrafter.script import Entity

    cast = [Entity(id="dog", name="brown dog", kind="foreground"), Entity(id="girl", name="girl", kind="foreground"),
            Entity(id="beach", name="beach", kind="background")]
    prompt = "a dog and a girl spend a day at the beach"
    assert strangers("Finally, the puppy falls asleep under a striped umbrella as the sun sets.", cast, prompt) == []
    assert strangers("The girl throws a frisbee and the dog catches it in the waves.", cast, prompt) == []
    assert strangers("The dog chases a red ball while a cat watches.", cast, prompt) == ["cat"]
    assert strangers("Max and his sister build a sandcastle.", cast, prompt) == ["Max", "sister"]
    assert strangers("At last the two friends share a sandwich.", cast, prompt) == [], "the cast, told together"
    assert strangers("The dog plays with a boy, then barks at a seagull.", cast, prompt) == ["boy", "seagull"]
    assert strangers("The girl catches a fish.", cast, prompt) == [], "what is acted on is not a character of the story"
    assert strangers("Now the dog's soft tail wags, and the surprise is over.", cast, prompt) == [], "acting words, not someone"
    assert strangers("A brown cat sleeps.", [Entity(id="dog", name="brown dog", kind="foreground")], "a brown dog") == ["brown cat"]


def test_a_remote_script_whose_event_invents_a_character_gets_a_finding() -> None:
    from videodrafter.planning.grounding_checks import stranger_findings
    from videodrafter.script import VideoScript

    script = VideoScript.model_validate({
        "prompt": PROMPT, "entities": [{"id": "fox", "name": "fox", "kind": "foreground"}, {"id": "crow", "name": "crow", "kind": "foreground"},
                                       {"id": "forest", "name": "snowy forest", "kind": "background"}],
        "scenes": [{"event": "An old owl scolds the fox.", "action": "talks", "foreground": ["fox"], "background": "forest"},
                   {"event": "The crow flies over the forest.", "action": "flies", "foreground": ["crow"], "background": "forest"}],
    })
    assert stranger_findings(script) == ["scene 1 tells of 'old owl', who is not in the story; tell only of 'fox', 'crow'"]


def test_the_embedded_planner_continues_a_shot_that_carries_straight_on_and_cuts_after_a_time_jump() -> None:
    events = [
        "One day, the fox meets the crow under the tallest pine of the snowy forest.",
        "Then, the crow dares the fox to race to the frozen lake.",
        "Later, the fox slips on the ice while the crow flies ahead.",
        "Finally, the crow waits for the fox and they cross the finish line together.",
    ]
    same_cast = [["fox", "crow"], ["crow", "fox"], ["fox", "crow"], ["fox", "crow"]]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(events, same_cast)])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    # scene 2: same place, same cast, 'Then' -> carries on; scene 3 'Later' and scene 4 'Finally' jump in time
    assert [scene.shot.value for scene in result.script.scenes] == ["cut", "continue", "cut", "cut"]
    assert any(note.startswith("scene 2 carries straight on from scene 1") for note in result.notes)

    alone = [["fox"], ["crow"], ["fox"], ["crow"]]  # events that name one animal each: the cast changes every scene
    lone_events = ["One day, the fox sniffs the snow.", "Then, the crow lands on a pine.", "Then, the fox digs a hole.", "Then, the crow caws."]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(lone_events, alone)])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    assert [scene.shot.value for scene in result.script.scenes[:3]] == ["cut", "cut", "cut"]


def test_a_look_with_an_invented_word_or_a_first_person_is_not_a_description() -> None:
    """'a fluffy white keddle' was kept as the kite's description, and the engine drew it."""
    cast_answer = json.dumps({"title": "The Great Race", "looks": {
        "fox": "a fluffy white keddle with a black tail", "crow": "my favourite black crow", "snowy forest": "tall pines under deep snow",
    }})
    model = ScriptedChatModel(replies=[cast_answer, _scenes(EVENTS)])
    script = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4).script
    described = {entity.name: entity.description for entity in script.entities}
    assert described["fox"] == "fox" and described["crow"] == "crow"
    assert described["snowy forest"].startswith("tall pines under deep snow")


def test_each_event_opens_with_its_cast_as_subject_and_one_without_a_verb_is_retold_with_the_prompts_verb() -> None:
    """The grammar names the subject ('Then, the fox …' or 'the fox and the crow …') and writes the rest in
    lower case: no 'he', no 'I', no invented Name. 'Soon, the fox that night …' has no verb: retold, in
    the story's middle with the verb the prompt gives the fox ('race')."""
    events = [EVENTS[0], "Soon, the fox that night at the snowy forest.", EVENTS[2], EVENTS[3]]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(events, [["fox"], ["fox"], ["fox"], ["fox", "crow"]])])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    slots = model.seen[1][1]["response_format"]["json_schema"]["schema"]["properties"]["scenes"]["prefixItems"]
    pattern = slots[1]["properties"]["event"]["pattern"]
    assert pattern.startswith("^(Then|Next|Soon|Later),? (the fox|the crow)( and (the fox|the crow))? [a-z]"), pattern
    retold = result.script.scenes[1]
    assert retold.event.endswith(", the fox races at the snowy forest.") and retold.action == "races", retold
    assert "scene 2 did not say what its cast does; it was retold with its own cast" in result.notes
    assert result.script.scenes[2].event == EVENTS[2]


def test_the_sentences_subject_is_first_in_the_picture() -> None:
    """'Then, the crow and the fox …' with the scene's foreground given as ['fox']: the crow is shown, first."""
    events = [EVENTS[0], "Then, the crow and fox hop across the snowy forest.", EVENTS[2], EVENTS[3]]
    model = ScriptedChatModel(replies=[CAST_ANSWER, _scenes(events, [["fox"], ["fox"], ["fox"], ["fox", "crow"]])])
    result = plan_script(PROMPT, model, _settings(), min_scenes=4, max_scenes=4)
    assert result.script.scenes[1].foreground == ["crow", "fox"] and result.script.scenes[1].action == "hop across the snowy forest"


def test_an_action_cut_short_does_not_end_on_a_verb_that_wants_more() -> None:
    """'comes over and begins' was a clip's action and, retold, 'the red fox comes over and begins at the snowy forest.'"""
    from videodrafter.planning.constrained_planner import action_from_event
    from videodrafter.script import Entity

    cast = [Entity(id="red-fox", name="red fox", kind="foreground"), Entity(id="forest", name="snowy forest", kind="background")]
    event = "Suddenly, the red fox comes over and begins to sniff around the den."
    assert action_from_event(event, "the red fox", cast, "a red fox hunts in a snowy forest", "turn") == "comes over"
