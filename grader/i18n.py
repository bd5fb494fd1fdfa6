"""Every word the grader's CLI prints, in English and Chinese, and the choice between them.

One table, :data:`WORDS`: a key maps to ``{"en": ..., "zh": ...}``; texts with ``{name}``
placeholders are filled by :func:`word`. The language is ``--lang`` if given, else the locale
(:func:`detect_lang`). Lines that tools parse (``N passed, M failed``) are not in the table: they
are printed in English in every language, after the translated text.

The Chinese is written as a teacher in China would write it for students, not word for word.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

LANGS = ("en", "zh")

WORDS: dict[str, dict[str, str]] = {
    # Test and exercise statuses (results.STATUSES).
    "status.passed": {"en": "passed", "zh": "通过"},
    "status.failed": {"en": "failed", "zh": "未通过"},
    "status.todo": {"en": "todo", "zh": "未实现"},
    "status.timeout": {"en": "timeout", "zh": "超时"},
    "status.crashed": {"en": "crashed", "zh": "崩溃"},
    "status.error": {"en": "error", "zh": "出错"},
    "status.skipped": {"en": "not run", "zh": "未运行"},
    # `grader list`: the state of an exercise's last check.
    "state.passed": {"en": "passed", "zh": "已通过"},
    "state.failing": {"en": "failing", "zh": "未通过"},
    "state.todo": {"en": "todo", "zh": "待完成"},
    "state.started": {"en": "started", "zh": "进行中"},
    # Table headers.
    "column.number": {"en": "#", "zh": "编号"},
    "column.exercise": {"en": "exercise", "zh": "练习"},
    "column.title": {"en": "title", "zh": "题目"},
    "column.state": {"en": "state", "zh": "状态"},
    "column.tests_passed": {"en": "tests passed", "zh": "通过的测试"},
    "column.points": {"en": "points", "zh": "得分"},
    "column.status": {"en": "status", "zh": "结果"},
    # `grader check`.
    "check.note": {"en": "note: {note}", "zh": "备注：{note}"},
    "check.output": {"en": "output:", "zh": "输出："},
    "check.student_output": {"en": "your code printed:", "zh": "你的代码输出了："},
    "check.lines_hidden": {
        "en": "[... {count} earlier line(s); -v shows all ...]",
        "zh": "[……前面还有 {count} 行；加 -v 查看全部……]",
    },
    "check.go_on": {"en": "Next: `{command}`", "zh": "下一步：`{command}`"},
    "check.next_step": {
        "en": "Stuck? `grader hint {name}` shows a hint.",
        "zh": "卡住了？运行 `grader hint {name}` 看看提示。",
    },
    "check.all_passed": {"en": "All tests passed. Well done!", "zh": "全部测试通过，做得好！"},
    "check.points": {"en": "points {score}/{max_score}", "zh": "得分 {score}/{max_score}"},
    # The closing count, printed when the language is not English; the English line
    # `N passed, M failed` (report.text.COUNT_LINE) always follows it, for tools that parse it.
    "count": {
        "en": "{total} tests: {passed} passed, {failed} failed",
        "zh": "共 {total} 个测试：{passed} 个通过，{failed} 个未通过",
    },
    # `grader` with no arguments: the course at a glance.
    "overview.progress": {
        "en": "{done}/{total} exercises passed, {score}/{max_score} points",
        "zh": "已通过 {done}/{total} 个练习，得分 {score}/{max_score}",
    },
    "overview.next": {
        "en": "Next: {name} — {title}. Read {readme}, then run `{command}`",
        "zh": "下一个：{name} —— {title}。先读 {readme}，然后运行 `{command}`",
    },
    "overview.all_done": {
        "en": "Every exercise passed. Congratulations!",
        "zh": "所有练习都通过了，恭喜！",
    },
    # Live progress of a check on a terminal: the test running now.
    "live.running": {
        "en": "running {name}: {elapsed:.1f} s of its {limit} s deadline",
        "zh": "正在运行 {name}：已用 {elapsed:.1f} 秒（时限 {limit} 秒）",
    },
    # Ctrl-C.
    "interrupted": {"en": "interrupted", "zh": "已中断"},
    # `grader watch`.
    "watch.checking": {"en": "checking {name} ...", "zh": "正在检查 {name} ……"},
    "watch.waiting": {
        "en": "watching {module}: save it to check again. Keys: h hint, l list, q quit",
        "zh": "正在监视 {module}：保存文件即可重新检查。按键：h 提示，l 列表，q 退出",
    },
    "watch.waiting_no_keys": {
        "en": "watching {module}: save it to check again (Ctrl-C stops)",
        "zh": "正在监视 {module}：保存文件即可重新检查（Ctrl-C 退出）",
    },
    "watch.passed": {
        "en": "{name} passed! Moving on to {next}.",
        "zh": "{name} 通过了！接下来做 {next}。",
    },
    "watch.all_done": {
        "en": "{name} passed, and with it every exercise. Congratulations!",
        "zh": "{name} 通过了，所有练习都已完成，恭喜！",
    },
    "watch.bye": {"en": "stopped watching", "zh": "已停止监视"},
    # `grader reset` and `grader solution`.
    "reset.ask": {
        "en": "Replace {module} with the untouched stub? Your code in it will be lost. [y/N] ",
        "zh": "要用原始模板覆盖 {module} 吗？其中你写的代码会丢失。[y/N] ",
    },
    "reset.needs_yes": {
        "en": "reset overwrites {module}: add --yes to confirm",
        "zh": "reset 会覆盖 {module}：请加上 --yes 确认",
    },
    "reset.kept": {"en": "nothing changed", "zh": "什么都没改"},
    "reset.done": {
        "en": "{module} is the untouched stub again; hint progress cleared",
        "zh": "{module} 已恢复为原始模板，提示进度也已清空",
    },
    "reset.no_stub": {
        "en": "no untouched copy of {module}: it is neither in git (HEAD) nor in "
        ".grader/stubs/ (kept the first time grader saw it)",
        "zh": "找不到 {module} 的原始模板：git（HEAD）里没有，.grader/stubs/ 里也没有"
        "（grader 第一次看到它时会保存一份）",
    },
    "solution.locked": {
        "en": "{name} has not passed yet: its solution opens once `grader check {slug}` passes",
        "zh": "{name} 还没有通过：`grader check {slug}` 通过之后才能看参考答案",
    },
    "solution.missing": {
        "en": "there is no reference solution {path}",
        "zh": "没有参考答案 {path}",
    },
    "solution.heading": {"en": "Reference solution: {path}", "zh": "参考答案：{path}"},
    # `grader hint`.
    "hint.heading": {"en": "Hint {number}/{total}: ", "zh": "提示 {number}/{total}："},
    "hint.last": {"en": "(that is the last hint)", "zh": "（这已经是最后一条提示了）"},
    # `grader grade`.
    "grade.total": {
        "en": "total {score}/{max_score} points ({percent:.1f}%) in {seconds:.1f} s",
        "zh": "总分 {score}/{max_score}（{percent:.1f}%），用时 {seconds:.1f} 秒",
    },
    "grade.incomplete": {"en": "grading could not complete:", "zh": "评分没能完成："},
    # `grader batch`.
    "report.title": {"en": "Class report", "zh": "全班成绩报告"},
    "report.summary": {
        "en": "{students} students: {graded} graded, {errors} not graded",
        "zh": "共 {students} 名学生：{graded} 名已评分，{errors} 名未能评分",
    },
    "report.average": {
        "en": "; mean {mean:.1f} %, median {median:.1f} %",
        "zh": "；平均 {mean:.1f}%，中位数 {median:.1f}%",
    },
    "report.not_graded": {"en": "Not graded: ", "zh": "未能评分："},
    "report.distribution": {"en": "Score distribution", "zh": "得分分布"},
    "report.pass_rates": {"en": "Pass rate of every test", "zh": "每个测试的通过率"},
    "report.failures": {"en": "Most common failure messages", "zh": "最常见的失败信息"},
    "report.slowest": {"en": "Slowest submissions", "zh": "用时最长的作业"},
    "report.no_failures": {"en": "No test failed.", "zh": "没有测试失败。"},
    "report.count": {"en": "count", "zh": "次数"},
    "report.message": {
        "en": "test: first line of the message",
        "zh": "测试：失败信息的第一行",
    },
    "report.student": {"en": "student", "zh": "学生"},
    "report.seconds": {"en": "seconds", "zh": "用时（秒）"},
    "report.score": {"en": "score", "zh": "得分"},
    "report.error": {"en": "not graded", "zh": "未能评分"},
    "batch.progress": {"en": "grading the class", "zh": "正在给全班评分"},
    "batch.line": {
        "en": "{student}: {score}/{max_score} ({percent:.1f}%) in {seconds:.1f} s",
        "zh": "{student}：{score}/{max_score}（{percent:.1f}%），用时 {seconds:.1f} 秒",
    },
    "batch.error": {
        "en": "{student}: not graded: {error}",
        "zh": "{student}：没能评分：{error}",
    },
    "batch.merged": {
        "en": "merged {students} students from {shards} shards, failed {errors}; gradebook: {path}",
        "zh": "从 {shards} 个分片合并了 {students} 名学生，失败 {errors} 名；成绩册：{path}",
    },
    "batch.out_in_class": {
        "en": "{path}: the --out folder, not a student; passed over",
        "zh": "{path}：这是 --out 输出文件夹，不是学生；已跳过",
    },
    "batch.output_in_class": {
        "en": "{path}: another batch's output (students/ beside its gradebook.csv or "
        "batch.json), not a student; passed over",
        "zh": "{path}：这是另一次批量评分的输出（students/ 旁边有 gradebook.csv 或 "
        "batch.json），不是学生；已跳过",
    },
    "batch.macos_zip": {
        "en": "{path}: what macOS adds to a zip it makes (__MACOSX), not a student; passed over",
        "zh": "{path}：这是 macOS 打包 zip 时附带的文件夹（__MACOSX），不是学生；已跳过",
    },
    # What a batch says, before it grades, of how far students' code reaches
    # (report.batch_text.render_isolation); batch.as_root and those after it are parts of
    # the others.
    "batch.runs_as_you": {
        "en": "Each student's code runs as you (uid {uid}): it may read and change what you "
        "may, your files and keys too. {as_root}",
        "zh": "每个学生的代码都以你的身份（uid {uid}）运行："
        "你能读写的一切（包括你的文件和密钥），它都能读写。{as_root}",
    },
    "batch.no_view": {
        "en": "Each student's code runs as a uid of its own, but sees the files as any user "
        "does ({why}): it may read the class, this batch's records, the specs and the "
        "solutions wherever every user may. {with_view}.",
        "zh": "每个学生的代码都以独立的 uid 运行，但它看到的文件与任何用户看到的一样"
        "（{why}）：凡是所有用户都能读的地方，它都能读到全班的作业、"
        "本次 batch 的记录、测试和参考答案。{with_view}。",
    },
    "batch.keeps_root": {
        "en": "Each student's code runs as root ({why}; and the interpreter lies inside "
        "{closed}, which another uid may not enter): it may read and change everything, "
        "the class, this batch's records and the grader too. {with_view}, or with a Python "
        "outside {closed}.",
        "zh": "每个学生的代码都以 root 身份运行（{why}；"
        "而且解释器位于其他 uid 无法进入的 {closed} 中）："
        "它能读写一切，包括全班的作业、本次 batch 的记录和评分程序本身。"
        "{with_view}，或使用 {closed} 之外的 Python。",
    },
    "batch.runs_as_you_confined": {
        "en": "Each student's code runs as you (uid {uid}). {confined}, so your own files are "
        "out of its reach. {signals} {as_root}",
        "zh": "每个学生的代码都以你的身份（uid {uid}）运行。{confined}，你自己的文件它碰不到。"
        "{signals}{as_root}",
    },
    "batch.no_view_confined": {
        "en": "Each student's code runs as a uid of its own without a view of the files "
        "({why}). {confined}: keep the class, the output and the specs out of /tmp, "
        "/var/tmp and /dev/shm, where it may read what every user may.",
        "zh": "每个学生的代码都以独立的 uid 运行，但没有隐藏文件的视图（{why}）。"
        "{confined}：请不要把全班的作业、输出目录和测试放在 /tmp、/var/tmp 或 /dev/shm 中，"
        "那里凡是所有用户能读的，它也能读。",
    },
    "batch.keeps_root_confined": {
        "en": "Each student's code runs as root ({why}; and the interpreter lies inside "
        "{closed}, which another uid may not enter). {confined}. {signals} {with_view}, or "
        "with a Python outside {closed}.",
        "zh": "每个学生的代码都以 root 身份运行（{why}；"
        "而且解释器位于其他 uid 无法进入的 {closed} 中）。{confined}。{signals}"
        "{with_view}，或使用 {closed} 之外的 Python。",
    },
    "batch.as_root": {
        "en": "To grade a class, run the batch as root on Linux (sudo), which gives every "
        "grading run a uid of its own.",
        "zh": "给全班评分时，请在 Linux 上以 root 身份（sudo）运行 batch，"
        "这样每次评分都有自己独立的 uid。",
    },
    "batch.with_view": {
        "en": "Grade where the grader may make a mount namespace (CAP_SYS_ADMIN; see grader "
        "doctor)",
        "zh": "请在评分程序能创建 mount namespace 的环境中评分"
        "（需要 CAP_SYS_ADMIN；见 grader doctor）",
    },
    "batch.workspace_exposed": {
        "en": "The grader keeps the modules it stages and the specs it loads in {base} "
        "({why}), where that code may write: a student's code may change the grading of "
        "the students beside and after it. Run the batch as root, or where "
        "$XDG_RUNTIME_DIR names your own runtime folder.",
        "zh": "评分程序把暂存的学生模块和要加载的测试放在 {base}（{why}），"
        "学生的代码可以写那里：它能改动与它同时或在它之后评分的同学的结果。"
        "请以 root 身份运行 batch，或在 $XDG_RUNTIME_DIR 指向你自己的运行时目录的环境中运行。",
    },
    "batch.confined": {
        "en": "Landlock keeps it to the system's folders, the interpreter and the temporary "
        "folders",
        "zh": "Landlock 把它限制在系统目录、解释器和临时目录之内",
    },
    "batch.signals_kept": {
        "en": "It may signal only the processes it started.",
        "zh": "它也只能向自己启动的进程发信号。",
    },
    "batch.signals_yours": {
        "en": "It may signal or stop your processes, though.",
        "zh": "但它能向你的进程发信号、让它们停下。",
    },
    "batch.signals_all": {
        "en": "As root it may signal every process of root's, the grader's too.",
        "zh": "作为 root，它能向 root 的任何进程（包括评分程序）发信号。",
    },
    "batch.summary": {
        "en": "graded {graded}, unchanged since the last batch {reused}, failed {errors}; "
        "gradebook: {path}",
        "zh": "本次评分 {graded} 份，与上次相同而沿用 {reused} 份，失败 {errors} 份；"
        "成绩册：{path}",
    },
    "grade.under": {
        "en": "score {percent:.1f}% is under --fail-under {limit:g}%",
        "zh": "得分 {percent:.1f}% 低于 --fail-under 要求的 {limit:g}%",
    },
    # Notes the grader attaches to a result (English in the JSON; see :func:`note`).
    "note.spec_modified": {
        "en": "spec modified in the submission; graded with the trusted spec",
        "zh": "提交里的测试文件被改动过，已改用可信副本中的测试评分",
    },
    "note.forged": {
        "en": "{count} line(s) in the results file were not written by the grader and were ignored",
        "zh": "结果文件中有 {count} 行不是评分程序写的，已忽略",
    },
    "note.killed": {
        "en": "{count} process(es) left behind by the session were killed",
        "zh": "测试会话结束后遗留的 {count} 个进程已被强制结束",
    },
    # Markdown summary (`grader grade --markdown`) and Gradescope's summary text.
    "md.heading": {"en": "Grading results", "zh": "评分结果"},
    "md.exercise": {"en": "Exercise", "zh": "练习"},
    "md.tests_passed": {"en": "Tests passed", "zh": "通过的测试"},
    "md.points": {"en": "Points", "zh": "得分"},
    "md.notes": {"en": "Notes", "zh": "备注"},
    "md.total": {"en": "Total", "zh": "合计"},
    "md.not_passed": {"en": "Tests not passed", "zh": "未通过的测试"},
    "summary.exercise": {
        "en": "{name}: {passed}/{tests} tests passed, {score}/{max_score} points",
        "zh": "{name}：通过 {passed}/{tests} 个测试，得分 {score}/{max_score}",
    },
    "summary.total": {
        "en": "total: {score}/{max_score} points ({percent:.1f}%)",
        "zh": "总分：{score}/{max_score}（{percent:.1f}%）",
    },
    # Usage errors.
    "usage.problem": {"en": "grader: {message}", "zh": "grader：{message}"},
    "usage.error": {"en": "{prog}: error: {message}", "zh": "{prog}：错误：{message}"},
    "usage.prefix": {"en": "usage: ", "zh": "用法："},
    "usage.unknown_exercise": {
        "en": "no exercise named {name!r} (known: {known})",
        "zh": "没有叫 {name!r} 的练习（现有：{known}）",
    },
    "usage.none": {"en": "none", "zh": "无"},
    "usage.root_without_exercises": {
        "en": "--root {root}: no exercises/ folder there",
        "zh": "--root {root}：该目录下没有 exercises/ 文件夹",
    },
    "usage.foreign_grader": {
        "en": "this grader runs from {ours}, but its grading sessions, which ignore the current "
        "folder and PYTHONPATH, would import the different grader installed in {theirs}: "
        "install this one (`pip install -e .` in its repository) or run the installed `grader`",
        "zh": "当前运行的评测程序在 {ours}，但它的评测会话不看当前目录和 PYTHONPATH，"
        "会导入安装在 {theirs} 的另一个不同版本的评测程序：请安装当前这个（在它的仓库里 "
        "`pip install -e .`），或者直接运行已安装的 `grader`",
    },
    "usage.no_root": {
        "en": "no exercises/ folder in this folder or above it: run grader in the repository",
        "zh": "当前目录及其上级目录都没有 exercises/ 文件夹：请在仓库目录里运行 grader",
    },
    "usage.target_not_folder": {
        "en": "--target {target}: not a folder (use exercises, solutions, or a path)",
        "zh": "--target {target}：不是文件夹（可以写 exercises、solutions 或一个文件夹路径）",
    },
    "usage.k_matches_nothing": {
        "en": "-k {expr}: no test of {exercise} matches (its tests: {tests})",
        "zh": "-k {expr}：{exercise} 没有匹配的测试（它的测试有：{tests}）",
    },
    "usage.target_no_module": {
        "en": "--target {target}: there is no {module}",
        "zh": "--target {target}：找不到 {module}",
    },
    "usage.cannot_write": {
        "en": "{path}: cannot write: {reason}",
        "zh": "{path}：无法写入：{reason}",
    },
    "usage.cannot_read": {
        "en": "{path}: cannot read: {reason}",
        "zh": "{path}：无法读取：{reason}",
    },
    "usage.jobs": {"en": "--jobs must be at least 1", "zh": "--jobs 至少为 1"},
    "usage.not_submissions": {
        "en": "{path}: not a folder of submissions",
        "zh": "{path}：不是存放作业的文件夹",
    },
    "usage.not_batch_output": {
        "en": "{path}: not the output of grader batch (no readable batch.json in it; a grader "
        "older than this one wrote none: run that batch again)",
        "zh": "{path}：不是 grader batch 的输出（里面没有可读的 batch.json；比这个版本旧的"
        "评分器不写它：请重新运行那次批量评分）",
    },
    "usage.batch_unfinished": {
        "en": "{path}: this batch did not finish (interrupted, or still running): run it "
        "again to the end, then merge",
        "zh": "{path}：这次批量评分没有完成（被中断，或者仍在运行）：请重新运行到结束，再合并",
    },
    "usage.batch_other_specs": {
        "en": "{path}: graded with other specs, exercises or another grader than this merge's "
        "--spec-from and --exercise: grade it again with them, then merge",
        "zh": "{path}：评分时用的测试、练习或评分器与这次合并的 --spec-from 和 --exercise "
        "不同：请用它们重新评分，再合并",
    },
    "usage.other_shard_count": {
        "en": "{path}: a shard of another split of the class than the folders before it "
        "(--shard K/{count}): merge the shards of one batch",
        "zh": "{path}：与前面的文件夹不是同一种分法（--shard K/{count}）：请合并同一次批量评分"
        "的各个分片",
    },
    "usage.shards_missing": {
        "en": "the output of shard {missing} is missing: merge needs the --out folder of every "
        "shard, or the gradebook would leave their students out",
        "zh": "缺少分片 {missing} 的输出：合并需要每个分片的 --out 文件夹，否则成绩册会漏掉"
        "这些分片的学生",
    },
    "usage.same_student_id": {
        "en": "{path}: its name is shown as {student}, as another folder's is (a byte that is "
        "not UTF-8 is shown as \\xNN): rename one of them",
        "zh": "{path}：它的名字显示为 {student}，与另一个文件夹相同（不是 UTF-8 的字节显示为 "
        "\\xNN）：请给其中一个改名",
    },
    "usage.bad_record": {
        "en": "{path}: not a student record of grader batch (unreadable or not its JSON)",
        "zh": "{path}：不是 grader batch 写的学生记录（读不出来，或者不是它的 JSON）",
    },
    "usage.regrade_unknown": {
        "en": "--regrade {student}: no student folder of that name in {path}",
        "zh": "--regrade {student}：{path} 里没有这个名字的学生文件夹",
    },
    "usage.out_busy": {
        "en": "{path}: another grader batch or grader merge is writing into it now: wait for "
        "it to end, or give another --out",
        "zh": "{path}：另一个 grader batch 或 grader merge 正在写入它：请等它结束，或者换一个 "
        "--out",
    },
    "usage.shard_busy": {
        "en": "{path}: a grader batch is writing into it now: merge once it has finished",
        "zh": "{path}：一个 grader batch 正在写入它：请等它完成后再合并",
    },
    "usage.merge_twice": {
        "en": "{path}: the same shard as {other}: the shards overlap; give each once",
        "zh": "{path}：与 {other} 是同一个分片：分片有重叠；每个分片只给一次",
    },
    "usage.export_inside": {
        "en": "{path}: holds an export's {name}, so it is the folder of submissions, not a "
        "student: give it as SUBMISSIONS",
        "zh": "{path}：里面有导出文件的 {name}，所以它才是存放作业的文件夹，而不是一名学生："
        "请把它作为 SUBMISSIONS 传入",
    },
    "usage.roster": {
        "en": "{path}: {what} (the export's list of whose each submission folder is; fix it, "
        "or move it away to grade the class under the folders' names)",
        "zh": "{path}：{what}（这是导出文件里说明每个作业文件夹属于谁的清单；请修正它，"
        "或把它移走，按文件夹名给全班评分）",
    },
    # What is wrong in an export's submission_metadata.yml (grader.roster), and where.
    "roster.at": {"en": "{where}: {what}", "zh": "{where}：{what}"},
    "roster.line": {"en": "line {line}", "zh": "第 {line} 行"},
    "roster.line_column": {
        "en": "line {line}, column {column}",
        "zh": "第 {line} 行第 {column} 列",
    },
    "roster.item": {
        "en": "{folder}: :submitters: item {index}",
        "zh": "{folder}：:submitters: 的第 {index} 项",
    },
    "roster.item_field": {
        "en": "{folder}: :submitters: item {index}: :{field}:",
        "zh": "{folder}：:submitters: 的第 {index} 项：:{field}:",
    },
    "roster.unreadable": {"en": "cannot read it: {reason}", "zh": "无法读取：{reason}"},
    "roster.not_utf8": {"en": "not UTF-8", "zh": "不是 UTF-8 编码"},
    "roster.yaml": {"en": "not YAML: {problem}", "zh": "不是合法的 YAML：{problem}"},
    "roster.not_mapping": {
        "en": "not a mapping of submission folders to their submitters",
        "zh": "不是从作业文件夹到提交者的映射",
    },
    "roster.key_not_text": {
        "en": "a key that is not a folder's name",
        "zh": "有一个键不是文件夹名",
    },
    "roster.no_submitters": {"en": "has no :submitters: list", "zh": "没有 :submitters: 列表"},
    "roster.not_a_list": {"en": "is not a list", "zh": "不是列表"},
    "roster.item_not_mapping": {
        "en": "is not a mapping (:name:, :sid:, :email:)",
        "zh": "不是映射（:name:、:sid:、:email:）",
    },
    "roster.not_text": {"en": "is not text", "zh": "不是文本"},
    "usage.shard": {
        "en": "--shard {value}: not K/N with 1 <= K <= N (e.g. 2/4)",
        "zh": "--shard {value}：应当是 K/N，且 1 <= K <= N（例如 2/4）",
    },
    "usage.no_students": {
        "en": "{path}: no submission folders in it (one folder per student)",
        "zh": "{path}：里面没有作业文件夹（应当每个学生一个文件夹）",
    },
    "usage.fail_under": {
        "en": "--fail-under must be a percentage between 0 and 100",
        "zh": "--fail-under 必须是 0 到 100 之间的百分数",
    },
    "usage.spec_from": {
        "en": "--spec-from {path}: not a folder",
        "zh": "--spec-from {path}：不是文件夹",
    },
    "usage.exercism": {
        "en": "--exercism needs exactly one exercise: add --exercise NAME",
        "zh": "--exercism 只能用于一个练习：请加上 --exercise NAME",
    },
    # argparse's own messages (see :func:`argparse_message`).
    "argparse.required": {
        "en": "the following arguments are required: {args}",
        "zh": "缺少必需的参数：{args}",
    },
    "argparse.invalid_choice": {
        "en": "argument {arg}: invalid choice: {value} (choose from {choices})",
        "zh": "参数 {arg}：无效的取值 {value}（可选：{choices}）",
    },
    "argparse.unrecognized": {
        "en": "unrecognized arguments: {args}",
        "zh": "无法识别的参数：{args}",
    },
    "argparse.expected_one": {
        "en": "argument {arg}: expected one argument",
        "zh": "参数 {arg} 后面需要跟一个值",
    },
    "argparse.invalid_value": {
        "en": "argument {arg}: invalid {kind} value: {value}",
        "zh": "参数 {arg}：{value} 不是有效的 {kind} 值",
    },
    "argparse.positionals": {"en": "positional arguments", "zh": "位置参数"},
    "argparse.options": {"en": "options", "zh": "选项"},
    # --help texts.
    "help.description": {
        "en": "Check multitasking katas for real.",
        "zh": "真正运行并检查多任务编程练习。",
    },
    "help.help": {"en": "show this help message and exit", "zh": "显示本帮助并退出"},
    "help.root": {
        "en": "the repository (default: found from the current folder)",
        "zh": "仓库目录（默认：从当前目录向上查找）",
    },
    "help.lang": {
        "en": "language of messages (default: from the locale)",
        "zh": "输出语言（默认：跟随系统区域设置）",
    },
    "help.sandbox_uids": {
        "en": "(root) uids that sandboxes run as, one per grading session in flight "
        "(default ${env} or {default})",
        "zh": "（仅 root）沙箱进程使用的 uid 范围，每个并行的评测会话占用一个"
        "（默认取 ${env}，否则为 {default}）",
    },
    "help.doctor": {
        "en": "what isolation this machine gives the sandboxes",
        "zh": "查看本机能为沙箱提供哪些隔离措施",
    },
    "help.list": {
        "en": "every exercise with its state and points (also: grader with no arguments)",
        "zh": "列出所有练习及其状态和得分（直接运行 grader 也一样）",
    },
    "help.watch": {
        "en": "check the current exercise again on every save, then move on",
        "zh": "每次保存都重新检查当前练习，通过后进入下一个",
    },
    "help.watch_name": {
        "en": "exercise to start with (default: the first not passed)",
        "zh": "从哪个练习开始（默认：第一个未通过的）",
    },
    "help.reset": {
        "en": "restore an exercise's stub and clear its hint progress",
        "zh": "把练习恢复为原始模板，并清空提示进度",
    },
    "help.yes": {"en": "do not ask for confirmation", "zh": "不再询问确认"},
    "help.solution": {
        "en": "show the reference solution of an exercise you have passed",
        "zh": "查看已通过练习的参考答案",
    },
    "help.verbose": {
        "en": "show every test's full output, passing ones too",
        "zh": "显示每个测试的完整输出（包括通过的）",
    },
    "help.keyword": {
        "en": "run only the tests matching EXPR (pytest -k)",
        "zh": "只运行名字匹配 EXPR 的测试（同 pytest -k）",
    },
    "help.exitfirst": {"en": "stop at the first failing test", "zh": "遇到第一个失败的测试就停止"},
    "help.check": {"en": "run one exercise's spec", "zh": "运行一个练习的测试"},
    "help.hint": {"en": "show the next hint for an exercise", "zh": "显示某个练习的下一条提示"},
    "help.grade": {
        "en": "grade a whole submission with points (for instructors)",
        "zh": "给整份作业评分并计分（供教师使用）",
    },
    "help.target": {
        "en": "exercises (default), solutions, or a folder",
        "zh": "exercises（默认）、solutions 或一个文件夹",
    },
    "help.run": {
        "en": "run every spec now instead of showing the last result",
        "zh": "立即运行所有测试，而不是显示上次的结果",
    },
    "help.name": {
        "en": "12_shared_counter, shared_counter or 12",
        "zh": "12_shared_counter、shared_counter 或 12",
    },
    "help.check_json": {
        "en": "write the results as JSON to this file",
        "zh": "把结果以 JSON 格式写入这个文件",
    },
    "help.all": {"en": "show every hint", "zh": "显示全部提示"},
    "help.exercise": {"en": "only these (repeatable)", "zh": "只评这些练习（可重复指定）"},
    "help.jobs": {"en": "exercises graded at a time", "zh": "同时评分的练习数"},
    "help.batch": {
        "en": "grade a whole class into a gradebook (for instructors)",
        "zh": "给全班评分，生成成绩册（供教师使用）",
    },
    "help.submissions": {
        "en": "a folder with one folder per student (its name is the student id)",
        "zh": "每个学生一个子文件夹的目录（子文件夹名就是学号）",
    },
    "help.batch_jobs": {"en": "students graded at a time", "zh": "同时评分的学生数"},
    "help.shard": {
        "en": "grade only part K of N of the class (K/N; for N runners, then grader merge)",
        "zh": "只给全班的第 K 份（共 N 份）评分（K/N；N 台机器分头评，再用 grader merge 合并）",
    },
    "help.regrade": {
        "en": "grade this student again even if nothing changed (their id; repeatable)",
        "zh": "即使没有变化也重新给这个学生评分（学生 id；可重复）",
    },
    "help.merge": {
        "en": "merge the --out folders of sharded batches into one gradebook and report",
        "zh": "把分片评分的各个 --out 文件夹合并成一份成绩册和报告",
    },
    "help.shards": {"en": "the --out folders of the shards", "zh": "各分片的 --out 文件夹"},
    "help.out": {
        "en": "where the gradebook and each student's JSON go (default: grades)",
        "zh": "成绩册和每个学生的 JSON 写到哪里（默认：grades）",
    },
    "help.spec_from": {
        "en": "trusted copy of the repository (or its exercises/)",
        "zh": "可信的仓库副本（或其中的 exercises/）",
    },
    "help.json": {"en": "native results JSON", "zh": "本工具自己的 JSON 结果"},
    "help.gradescope": {"en": "Gradescope results.json", "zh": "Gradescope 的 results.json"},
    "help.exercism": {
        "en": "Exercism results.json v3 (exactly one exercise)",
        "zh": "Exercism 的 results.json v3（只能一个练习）",
    },
    "help.junit": {"en": "JUnit XML", "zh": "JUnit XML 报告"},
    "help.markdown": {
        "en": "Markdown summary (also appended to $GITHUB_STEP_SUMMARY)",
        "zh": "Markdown 汇总（同时追加到 $GITHUB_STEP_SUMMARY）",
    },
    "help.fail_under": {
        "en": "exit 1 below this score",
        "zh": "得分低于这个百分比时以退出码 1 结束",
    },
}


def detect_lang(explicit: str | None = None) -> str:
    """'zh' or 'en': the --lang option, else the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)."""
    if explicit is not None and explicit in LANGS:
        return explicit
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def lang_in_argv(argv: Sequence[str]) -> str | None:
    """The value of the last ``--lang X`` / ``--lang=X`` anywhere in ``argv`` (before parsing,
    so that argparse's own errors and --help come out in that language too)."""
    found = None
    for index, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--lang" and index + 1 < len(argv):
            found = argv[index + 1]
        elif arg.startswith("--lang="):
            found = arg.partition("=")[2]
    return found if found in LANGS else None


def word(key: str, lang: str, **params: object) -> str:
    """The text of ``key`` in ``lang`` (English if missing), filled with ``params``; a
    :class:`Phrase` among them is put in ``lang`` too.

    A key that is not in the table is returned as it is: callers may pass a ready message.
    """
    entry = WORDS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    if not params:
        return text
    return text.format(
        **{k: v.text(lang) if isinstance(v, Phrase) else v for k, v in params.items()}
    )


class Phrase:
    """Words whose language is chosen where they are printed, not where they are made (a
    module that finds a problem does not know the reader's language): a key of :data:`WORDS`
    and its params, which may be phrases too. ``str()`` is the English."""

    def __init__(self, key: str, **params: object) -> None:
        self.key = key
        self.params = params

    def text(self, lang: str) -> str:
        return word(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Phrase({self.key!r}, {self.params!r})"


_NOTES = (
    (
        re.compile(r"^spec modified in the submission; graded with the trusted spec$"),
        "spec_modified",
    ),
    (re.compile(r"^(?P<count>\d+) line\(s\) in the results file were not written"), "forged"),
    (re.compile(r"^(?P<count>\d+) process\(es\) left behind by the session"), "killed"),
)


def note(text: str, lang: str) -> str:
    """A note from a result (always English in the JSON) in ``lang``, if it is a known one."""
    if lang == "en":
        return text
    for pattern, key in _NOTES:
        match = pattern.match(text)
        if match:
            return word(f"note.{key}", lang, **match.groupdict())
    return text


_ARGPARSE = (
    (re.compile(r"^the following arguments are required: (?P<args>.+)$"), "required"),
    (
        re.compile(
            r"^argument (?P<arg>.+?): invalid choice: (?P<value>.+?)"
            r" \(choose from (?P<choices>.+)\)$"
        ),
        "invalid_choice",
    ),
    (re.compile(r"^unrecognized arguments: (?P<args>.+)$"), "unrecognized"),
    (re.compile(r"^argument (?P<arg>.+?): expected one argument$"), "expected_one"),
    (
        re.compile(r"^argument (?P<arg>.+?): invalid (?P<kind>\S+) value: (?P<value>.+)$"),
        "invalid_value",
    ),
)


def argparse_message(message: str, lang: str) -> str:
    """An argparse error message in ``lang`` (argparse itself only speaks English here)."""
    if lang == "en":
        return message
    for pattern, key in _ARGPARSE:
        match = pattern.match(message)
        if match:
            return word(f"argparse.{key}", lang, **match.groupdict())
    return message
