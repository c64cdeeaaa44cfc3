"""Build ``tasks.jsonl``, the retention suite: everyday requests judged by IFEval's and IFBench's checkers, plus
a few general tasks. ``synth.replay`` samples a policy on it beside the held-out replay tasks, so a policy that
learned to fix its failures by forgetting how to follow plain instructions shows it.

Run ``python examples/retention/build.py`` after editing the table below; the output is deterministic (the file is
shipped, and ``tests/replay/test_retention_suite.py`` checks every reference scores 1.0).

Each instruction-following verifier builds the checker from ``if-verifiable`` (imported in the sandbox, from the
allow-listed installed packages), with every argument given (a checker left to choose its own arguments draws
them at random), and guards it: an answer of fewer than ``min_words`` or more than 300 words scores 0, because an
evasive one-liner ("I'm ready to help. What's your request?") or a wall of junk follows many format rules without
answering anything; so does an answer that repeats the request (its first 60 characters). Only checkers that need
no NLTK data are used (the data is a download, and the sandbox is offline).
"""

from __future__ import annotations

import json
from pathlib import Path

EVASIVE = "I'm ready to help. What's your request?"

IF_VERIFIER = '''from if_verifiable.{bench} import instructions

KWARGS = {kwargs!r}
REQUEST = {request!r}


def verify(response: str) -> float:
    text = response.strip()
    words = len(text.split())
    if words < {min_words} or words > 300:
        return 0.0  # an evasive answer or a wall of text is not following the instruction
    if REQUEST in " ".join(text.lower().split()):
        return 0.0  # repeating the request is not answering it
    checker = instructions.{cls}({name!r})
    checker.build_description(**KWARGS)
    return 1.0 if checker.check_following(text) else 0.0
'''

EXACT_VERIFIER = '''def verify(response: str) -> float:
    text = " ".join(response.strip().rstrip(".").split()).lower()
    return 1.0 if text == {answer!r} else 0.0
'''

# (bench, checker id, class, kwargs, min words, prompt, reference, violating answer)
INSTRUCTIONS = [
    ("ifeval", "punctuation:no_comma", "CommaChecker", {}, 8,
     "Write a short note to my neighbour, asking them to water my plants while I'm away. Do not use any commas.",
     "Hi Sam! I will be away from Friday to Monday. Could you water my plants on Saturday and Sunday? The key is "
     "under the mat. Thank you so much!",
     "Hi Sam, I will be away from Friday to Monday. Could you water my plants, please? Thanks, Alex"),
    ("ifeval", "change_case:english_lowercase", "LowercaseLettersEnglishChecker", {}, 8,
     "Describe your ideal weekend breakfast in a few sentences. Your entire response must be in lowercase letters.",
     "my ideal weekend breakfast is slow and simple: warm pancakes with berries, a soft boiled egg and a big mug "
     "of coffee, eaten by the window while the street wakes up.",
     "My ideal weekend breakfast is pancakes with berries and a big mug of coffee by the window."),
    ("ifeval", "change_case:english_capital", "CapitalLettersEnglishChecker", {}, 8,
     "Write a short motivational message for a friend who is running a marathon tomorrow. Your entire response "
     "should be in English and in all capital letters.",
     "YOU TRAINED FOR MONTHS AND YOU ARE READY. START SLOW, DRINK WATER AND ENJOY EVERY MILE. SEE YOU AT THE "
     "FINISH LINE!",
     "You trained for months and you are ready. Start slow and enjoy every mile!"),
    ("ifeval", "detectable_format:number_bullet_lists", "BulletListChecker", {"num_bullets": 3}, 8,
     "Give me tips for packing a carry-on bag for a weekend trip. Your answer must contain exactly 3 bullet points "
     "in markdown format, each starting with an asterisk.",
     "* Roll your clothes instead of folding them to save space.\n* Put liquids in a clear bag at the top.\n"
     "* Wear your bulkiest shoes and jacket on the plane.",
     "Roll your clothes, keep liquids in a clear bag and wear your bulkiest shoes on the plane."),
    ("ifeval", "detectable_format:number_highlighted_sections", "HighlightSectionChecker", {"num_highlights": 2}, 8,
     "Explain in a short paragraph why a regular sleep schedule matters. Highlight at least 2 parts of your answer "
     "with markdown, wrapping each in single asterisks.",
     "A regular sleep schedule keeps your body clock steady, so *falling asleep gets easier* and waking up feels "
     "natural. Over time it also *improves mood and focus* during the day.",
     "A regular sleep schedule keeps your body clock steady, so falling asleep gets easier and mood improves."),
    ("ifeval", "detectable_format:title", "TitleChecker", {}, 8,
     "Write a short poem about autumn rain. Give it a title, and wrap the title in double angular brackets.",
     "<<Autumn Rain>>\nSoft rain taps the amber leaves,\nthe gutters hum beneath the eaves,\nand every street "
     "smells of earth again.",
     "Autumn Rain\nSoft rain taps the amber leaves, the gutters hum beneath the eaves."),
    ("ifeval", "detectable_content:postscript", "PostscriptChecker", {"postscript_marker": "P.S."}, 8,
     "Write a short email inviting my team to lunch on Friday. At the end of your response, please add a "
     "postscript.",
     "Hi team,\n\nLet's have lunch together this Friday at 12:30 at the Italian place around the corner. "
     "Reply by Thursday so I can book a table.\n\nBest,\nDana\n\nP.S. Dessert is on me.",
     "Hi team,\n\nLet's have lunch together this Friday at 12:30. Reply by Thursday.\n\nBest,\nDana"),
    ("ifeval", "detectable_format:json_format", "JsonFormat", {}, 3,
     "Name three fruits and the colour of each one. Wrap your entire output in JSON format.",
     '{"banana": "yellow", "strawberry": "red", "lime": "green"}',
     "Banana is yellow, strawberry is red and lime is green."),
    ("ifeval", "detectable_content:number_placeholders", "PlaceholderChecker", {"num_placeholders": 2}, 8,
     "Write a template for a short thank-you card I can reuse. It should contain at least 2 placeholders written "
     "in square brackets.",
     "Dear [name],\n\nThank you so much for the lovely [gift]. It made my day and I will think of you every time I "
     "use it.\n\nWarm wishes",
     "Dear friend,\n\nThank you so much for the lovely gift. It made my day.\n\nWarm wishes"),
    ("ifeval", "startend:end_checker", "EndChecker", {"end_phrase": "Is there anything else I can help with?"}, 8,
     "Write a two-sentence review of a coffee mug I bought. Finish your response with the exact phrase \"Is there "
     "anything else I can help with?\" and put no other words after it.",
     "The mug keeps coffee warm for a long time and the handle stays cool. It is sturdy and easy to wash. Is there "
     "anything else I can help with?",
     "The mug keeps coffee warm for a long time and the handle stays cool. It is sturdy and easy to wash."),
    ("ifeval", "startend:quotation", "QuotationChecker", {}, 8,
     "Tell me one fun fact about octopuses. Wrap your entire response with double quotation marks.",
     "\"An octopus has three hearts, and two of them stop beating while it swims.\"",
     "An octopus has three hearts, and two of them stop beating while it swims."),
    ("ifeval", "keywords:existence", "KeywordChecker", {"keywords": ["budget", "schedule"]}, 8,
     "Give me advice on planning a small birthday party at home. Include the keywords budget and schedule in the "
     "response.",
     "Set a budget first so you know how much to spend on food and decorations. Then write a simple schedule: "
     "guests arrive at six, cake at seven, games after that.",
     "Pick a theme, invite close friends, order a cake and prepare a few games for the evening."),
    ("ifeval", "keywords:forbidden_words", "ForbiddenWords", {"forbidden_words": ["very", "really"]}, 8,
     "Describe a sunset at the beach in a few sentences without using the words \"very\" or \"really\".",
     "The sun sinks into the sea and the sky turns orange, pink and violet. Waves glitter with the last light "
     "while gulls drift home.",
     "The sunset was very beautiful and the sky turned really orange over the quiet waves."),
    ("ifeval", "length_constraints:number_words", "NumberOfWords", {"num_words": 40, "relation": "less than"}, 8,
     "Summarize the benefits of walking every day. Answer with less than 40 words.",
     "Walking every day strengthens your heart, lifts your mood, helps control weight and clears your head, and "
     "it needs no equipment at all.",
     "Walking every day is good for you in many ways. It strengthens the heart and lungs, helps you control your "
     "weight, improves your balance and posture, lifts your mood by releasing endorphins, helps you sleep better "
     "at night, and gives you time to think, listen to music or talk with a friend."),
    ("ifeval", "length_constraints:number_paragraphs", "ParagraphChecker", {"num_paragraphs": 2}, 8,
     "Write about learning to cook as an adult. There should be 2 paragraphs, separated from each other by the "
     "markdown divider ***.",
     "Learning to cook as an adult starts with a few simple dishes you actually like to eat.\n\n***\n\n"
     "After a few weeks the habit grows: you shop better, waste less and enjoy inviting friends over.",
     "Learning to cook as an adult starts with a few simple dishes. After a few weeks the habit grows and you "
     "enjoy inviting friends over."),
    ("ifeval", "detectable_format:multiple_sections", "SectionChecker",
     {"section_spliter": "SECTION", "num_sections": 2}, 8,
     "Write a short plan for cleaning out a garage. Your response must have 2 sections; mark the beginning of each "
     "section with SECTION X, where X is its number.",
     "SECTION 1\nTake everything out and sort it into keep, donate and throw away.\n\nSECTION 2\nSweep the floor, "
     "add shelves and put the keep pile back by category.",
     "Take everything out and sort it into piles, then sweep the floor and put the keepers back on shelves."),
    ("ifbench", "count:word_count_range", "WordCountRangeChecker", {"min_words": 20, "max_words": 60}, 8,
     "Explain how a rainbow forms. Your answer must contain between 20 and 60 words.",
     "A rainbow forms when sunlight enters raindrops, bends, reflects off the back of each drop and bends again on "
     "the way out. Each colour bends by a different amount, so white light spreads into a band of colours.",
     "Sunlight bends inside raindrops and splits into colours, which we see as a rainbow."),
    ("ifbench", "count:numbers", "NumbersCountChecker", {"N": 3}, 8,
     "Give me a quick pancake recipe. Include exactly 3 numbers in your response.",
     "Whisk 2 eggs with 250 ml of milk, stir in flour until smooth and fry 8 small pancakes in a hot buttered pan.",
     "Whisk eggs with milk, stir in flour until smooth and fry small pancakes in a hot buttered pan."),
]

# (prompt, answer, wrong answers)
GENERAL = [
    ("What is 15% of 240? Answer with the number only.", "36", ["24", "3.6"]),
    ("What is the capital city of Australia? Answer with the city name only.", "canberra", ["Sydney", "Melbourne"]),
    ("Sort these words alphabetically and answer with them separated by single spaces: pear apple mango kiwi",
     "apple kiwi mango pear", ["pear apple mango kiwi", "apple mango kiwi pear"]),
    ("How many days are there in a leap year? Answer with the number only.", "366", ["365", "364"]),
    ("Reverse the word 'stressed'. Answer with the reversed word only.", "desserts", ["stressed", "dessert"]),
]


def tasks() -> list[dict[str, object]]:
    """Every task of the suite, as task spec v1 objects."""
    out = []
    for bench, name, cls, kwargs, min_words, prompt, reference, violating in INSTRUCTIONS:
        request = " ".join(prompt.lower().split())[:60]
        verifier = IF_VERIFIER.format(bench=bench, kwargs=kwargs, min_words=min_words, cls=cls, name=name,
                                      request=request)
        out.append({"prompt": prompt, "verifier": verifier, "reference": reference,
                    "failure_cases": [violating, EVASIVE],
                    "metadata": {"suite": "retention", "checker": name, "source": bench}})
    for prompt, answer, wrong in GENERAL:
        reference = answer.capitalize() if answer == "canberra" else answer
        out.append({"prompt": prompt, "verifier": EXACT_VERIFIER.format(answer=answer), "reference": reference,
                    "failure_cases": [*wrong, EVASIVE],
                    "metadata": {"suite": "retention", "checker": "general", "source": "general"}})
    return out


if __name__ == "__main__":
    target = Path(__file__).with_name("tasks.jsonl")
    target.write_text("".join(json.dumps(t, ensure_ascii=False) + "\n" for t in tasks()), encoding="utf-8")
    print(f"wrote {len(tasks())} tasks to {target}")
