"""Paint a video without flicker: python style_video.py CLIP STYLE [STYLE ...] [options].

The program is painter/video.py (its options) and painter/video_run.py (its run); --help lists
the options, docs/video.md explains them.
"""
if __name__ == "__main__":
    from painter import startup
    startup.starting_up("nothing new was saved")  # a Ctrl-C while the libraries load just stops
    from painter import video
    startup.finish(video.main())
