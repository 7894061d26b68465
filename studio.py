"""The studio, a web page to paint in: python studio.py [--port N] [--host ADDRESS].

The program is painter/studio.py; docs/studio.md explains the page.
"""
if __name__ == "__main__":
    from painter import startup, studio
    startup.finish(studio.main())  # as the other programs end: no slow TensorFlow teardown
