"""A clip painted on a cluster: its shots found, cut into spans, painted at once, the seams faded.

    python style_video.py clip.mp4 images/swirls.png --fast --workers 2
    python style_video.py clip.mp4 images/swirls.png --address tcp://HOST:8786 --chunk 48

Within a shot each frame starts from the one before, warped along the motion, and is held to
it by the temporal loss; across a cut there is nothing to carry on from, so a shot is a task of
its own, started from scratch like the clip's first frame. A shot longer than --chunk frames
is cut into chunks that overlap by --overlap frames: both neighbours paint the overlap, and
the result fades from the earlier chunk's frames to the later's, so that the later chunk's
start (from scratch, a painting of its own) does not jump into view. Each span is painted on
a worker by workers.paint_span.
"""
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from painter import cluster, files, frame_files, workers
from painter.words import and_list, plural, say


# ---------------------------------------------------------------------------------------------
# Shots
# ---------------------------------------------------------------------------------------------
# PySceneDetect's default: a change of 27 in its mean of hue, saturation and brightness
# differences (0 to 255) from one frame to the next. A camera's pan or zoom scores a few.
CUT_THRESHOLD = 27.0
SHORTEST_SHOT = 0.5  # seconds: a flash or a few frames of a cut-away stay in their shot


def find_cuts(frames, fps):
    """The frames where a new shot begins (never 0), by PySceneDetect's content detector:
    frames, RGB, all of one size."""
    from scenedetect import ContentDetector, FrameTimecode
    fps = float(fps)  # it refuses an int as a rate
    detector = ContentDetector(threshold=CUT_THRESHOLD,
                               min_scene_len=max(1, round(SHORTEST_SHOT * fps)))
    cuts = []
    for index, frame in enumerate(frames):
        # It reads BGR frames, as OpenCV gives them.
        found = detector.process_frame(FrameTimecode(index, fps),
                                       np.ascontiguousarray(frame[..., ::-1]))
        cuts += [cut.frame_num for cut in found]
    cuts += [cut.frame_num for cut in detector.post_process(FrameTimecode(len(frames), fps))]
    return sorted({cut for cut in cuts if 0 < cut < len(frames)})


# ---------------------------------------------------------------------------------------------
# Spans
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Span:
    """The frames first to end-1 of shot `shot`, one task. The first `lead` of them are the
    overlap with the chunk before (which paints them too), the last `tail` the overlap with
    the chunk after; a shot's first span has no lead, its last no tail."""
    first: int
    end: int
    lead: int
    tail: int
    shot: int

    @property
    def name(self):
        return f"frames {self.first + 1}-{self.end}"


def plan_spans(count, cuts, chunk, overlap):
    """The spans of a clip of `count` frames cut into shots at `cuts`: each shot in chunks of
    `chunk` new frames (None: whole), each chunk but a shot's first painting the `overlap`
    frames before it too. A shot's last chunk under half a chunk long joins the one before."""
    spans = []
    bounds = [0, *cuts, count]
    for shot, (begin, end) in enumerate(zip(bounds, bounds[1:])):
        starts = list(range(begin, end, chunk or end - begin))
        if len(starts) > 1 and end - starts[-1] < chunk / 2:
            starts.pop()
        for number, start in enumerate(starts):
            stop = starts[number + 1] if number + 1 < len(starts) else end
            lead = min(overlap, start - begin)
            tail = min(overlap, stop - begin) if number + 1 < len(starts) else 0
            spans.append(Span(start - lead, stop, lead, tail, shot))
    return spans


def describe_spans(cuts, spans, chunk, overlap):
    shots = len(cuts) + 1
    text = (f"{plural(shots, 'shot')}"
            + (f" (cuts before frame {and_list(cut + 1 for cut in cuts)})" if cuts else ""))
    if len(spans) > shots:
        text += (f", in chunks of {chunk} frames overlapping by {overlap}: "
                 f"{plural(len(spans), 'task')}")
    return text


# ---------------------------------------------------------------------------------------------
# The seams
# ---------------------------------------------------------------------------------------------
def fade_weight(position, overlap):
    """How much of the later chunk's painting frame `position` (0 to overlap-1) of an overlap
    shows: rising evenly from 1/(overlap+1) to overlap/(overlap+1), between the earlier
    chunk's frames before the overlap (0) and the later's after it (1)."""
    return (position + 1) / (overlap + 1)


def faded(earlier, later, weight):
    mixed = (1 - weight) * earlier.astype(np.float32) + weight * later.astype(np.float32)
    return np.clip(np.round(mixed), 0, 255).astype(np.uint8)


def overlaps_folder(folder):
    """Both paintings of every overlap frame, kept until (and after) they are faded."""
    return Path(folder) / "overlaps"


def overlap_path(folder, index, which):
    return overlaps_folder(folder) / f"frame_{index + 1:05d}_{which}.png"


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------
class ClipJob(cluster.Job):
    """The spans as they come back: each frame written to the frames folder as it arrives
    (an overlap's two paintings to overlaps/, and the faded frame once both are there), a line
    for each span and one progress bar over the clip's frames."""

    def __init__(self, work, spans):
        self.work = work
        self.total = len(work.contents)
        self.fades = {}  # overlap frame -> (its position in the overlap, the overlap's length)
        for span in spans:
            for position in range(span.lead):
                self.fades[span.first + position] = (position, span.lead)
        self.records = {record["frame"]: record for record in work.record}
        done = sum(frame_files.frame_path(work.folder, index).exists()
                   for index in range(self.total))
        super().__init__(self.total, done, "frame")

    def arrived(self, done):
        span, folder = done.span, self.work.folder
        for offset, painting in enumerate(done.paintings):
            index = span.first + offset
            if offset < span.lead:
                files.save_image(overlap_path(folder, index, "later"), painting)
            elif offset >= span.end - span.first - span.tail:
                files.save_image(overlap_path(folder, index, "earlier"), painting)
            else:
                self.finish_frame(index, painting)
        for index in range(span.first, span.end):
            self.fade_if_ready(index)
        for offset, record in enumerate(done.records):  # an overlap's: the later chunk's
            if offset < span.lead or record["frame"] not in self.records:
                self.records[record["frame"]] = record
        frame_files.write_record(folder, self.work.settings,
                                 [self.records[frame] for frame in sorted(self.records)])
        evaluations = sum(record["evaluations"] for record in done.records)
        graph = "its graph reused" if done.reused else "graph built"
        self.say(f"{span.name.capitalize()} (shot {span.shot + 1}): "
                 f"{evaluations:,} evaluations, {done.seconds:.1f} s on worker {done.worker} "
                 f"({graph})")

    def finish_frame(self, index, painting):
        frame_files.save_frame(self.work.folder, index, painting, self.work.contents[index],
                               self.work.preserve_color)
        self.bar.update(1)

    def fade_if_ready(self, index):
        """An overlap frame whose two paintings are both in: faded, into the frames folder."""
        if index not in self.fades or frame_files.frame_path(self.work.folder, index).exists():
            return
        earlier, later = (overlap_path(self.work.folder, index, which)
                          for which in ("earlier", "later"))
        if earlier.exists() and later.exists():
            self.finish_frame(index, faded(files.load_image(earlier), files.load_image(later),
                                           fade_weight(*self.fades[index])))


def span_is_done(folder, span):
    """Whether every frame of `span` is on disk: its own frames, and its paintings of the
    overlaps it shares."""
    length = span.end - span.first
    for offset in range(length):
        index = span.first + offset
        if offset < span.lead:
            path = overlap_path(folder, index, "later")
        elif offset >= length - span.tail:
            path = overlap_path(folder, index, "earlier")
        else:
            path = frame_files.frame_path(folder, index)
        if not path.exists():
            return False
    return True


def paint_clip(settings, work, where, stop):
    """Paint the clip's spans on the cluster `where` (ClusterSettings, its size settled), as
    `settings` (video.VideoSettings) say; returns the stop or failure that ended it early, or
    None."""
    cuts = find_cuts(work.contents, work.fps)
    spans = plan_spans(len(work.contents), cuts, settings.chunk, settings.overlap)
    todo = [span for span in spans if not span_is_done(work.folder, span)]
    say(f"Shots: {describe_spans(cuts, spans, settings.chunk, settings.overlap)}"
        + (f"; {len(spans) - len(todo)} already painted" if len(todo) < len(spans) else ""))
    job = ClipJob(work, spans)
    for span in spans:  # a run stopped between a span's arrival and its fade
        for index in range(span.first, span.end):
            job.fade_if_ready(index)
    if not todo:
        job.bar.close()
        return None
    task = workers.SpanTask(frames=settings.frames, loss=work.loss_settings,
                            weights=settings.weights, where=where)
    stop.check()
    try:
        with cluster.running(where, len(todo)) as (client, local):
            with warnings.catch_warnings():  # "large object in the graph": a span's frames
                warnings.simplefilter("ignore")
                styles = client.submit(list, work.styles, key="styles")
                futures = {client.submit(workers.paint_span, span, task,
                                         work.sources[span.first:span.end], styles,
                                         key=f"{cluster.PAINT}{span.name}", priority=-number):
                           span.name for number, span in enumerate(todo)}
            cluster.watch(client, futures, job, stop, local)
    finally:
        job.bar.close()
    if job.gave_up:
        return job.gave_up
    if job.failed:
        return f"{plural(len(job.failed), 'task')} failed ({', '.join(job.failed[:3])})"
    return None
