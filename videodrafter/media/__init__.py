"""Files a run produces: images, video encoding and probing, contact sheets, subtitles, timelines."""
