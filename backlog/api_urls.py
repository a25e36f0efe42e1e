from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from backlog.api import EpicResource, LinkResource, SprintResource, StoryResource, ThemeResource

router = SimpleRouter()
router.register("themes", ThemeResource, basename="theme")
router.register("epics", EpicResource, basename="epic")
router.register("stories", StoryResource, basename="story")
router.register("sprints", SprintResource, basename="sprint")
router.register("links", LinkResource, basename="link")

urlpatterns: list[URLPattern | URLResolver] = router.urls
