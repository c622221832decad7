// Hovering anything that names a stage (a box in the graph, a row of the stage
// table, a legend entry, a task bar) dims everything of the other stages.
(function () {
  var marked = document.querySelectorAll('[data-stage]');
  function focus(stage) {
    for (var i = 0; i < marked.length; i++) {
      var other = stage !== null && marked[i].getAttribute('data-stage') !== stage;
      marked[i].classList.toggle('dim', other);
    }
  }
  for (var i = 0; i < marked.length; i++) {
    marked[i].addEventListener('mouseenter', function (event) {
      focus(event.currentTarget.getAttribute('data-stage'));
    });
    marked[i].addEventListener('mouseleave', function () {
      focus(null);
    });
  }
})();
