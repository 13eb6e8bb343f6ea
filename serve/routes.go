package serve

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"rewardvision/api"
)

// routes registers every route of the server, in one place.
func (s *Server) routes() *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.ContextWithFallback = true // c.Done()/c.Err() follow the request's context
	// Order matters: the request id first (everyone logs it), the access
	// log around the recovery so that a panic is logged as its 500.
	r.Use(s.requestID, s.accessLog, s.recovery)
	r.NoRoute(s.handle(s.noRoute))
	r.NoMethod(s.handle(s.noMethod))

	v1 := r.Group("/v1")
	v1.POST("/"+api.TaskDetect, s.handle(s.inference(api.TaskDetect)))
	v1.POST("/"+api.TaskCaption, s.handle(s.inference(api.TaskCaption)))
	v1.POST("/"+api.TaskPanoptic, s.handle(s.inference(api.TaskPanoptic)))
	v1.POST("/"+api.TaskColorize, s.handle(s.inference(api.TaskColorize)))
	v1.GET("/models", s.handle(s.listModels))
	v1.GET("/reports", s.handle(s.listReports))

	// The web page and the files it reads besides the API (web.go).
	r.GET("/", s.page)
	r.GET("/web/*file", s.staticFiles(webFS, "/web/"))
	r.GET("/samples/*file", s.staticFiles(samplesFS, "/samples/"))
	r.GET("/reports/*path", s.reportFile)

	// The Open Inference Protocol (KServe v2) and its repository extension (v2.go).
	s.v2Routes(r)

	r.GET("/healthz", s.handle(s.healthz))
	r.GET("/readyz", s.handle(s.readyz))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	return r
}

// handlerFunc is a handler that returns its answer or an error; handle
// writes either (200 JSON, a rawBody as it is, or the envelope via
// writeError).
type handlerFunc func(c *gin.Context) (any, error)

// rawBody is an answer that is not JSON (a colorized PNG).
type rawBody struct {
	contentType string
	data        []byte
}

func (s *Server) handle(h handlerFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		v, err := h(c)
		if err != nil {
			s.writeError(c, err)
			return
		}
		if b, ok := v.(rawBody); ok {
			c.Data(http.StatusOK, b.contentType, b.data)
			return
		}
		c.JSON(http.StatusOK, v)
	}
}
